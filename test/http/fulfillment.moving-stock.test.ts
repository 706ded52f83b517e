import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { reassignSubOrder } from "../../src/reassignment/reassign";
import { ADMIN, api, newCustomer, tokenFor } from "../support/api";
import { lost, stockCalls } from "../support/bindings";
import { expectStockEquation, opsMoveTo, pay } from "../support/marketplace";
import { order, reassignableMarket } from "./routing.fixtures";

let seq = 0;
/** A Delhivery AWB (13-14 digits) no other test of this file uses. */
const delhiveryAwb = () => `6${String(Date.now() % 1e9).padStart(9, "0")}${String(++seq).padStart(4, "0")}`;

const step = (token: string, sub: string, name: string, body?: unknown) =>
  api("POST", `/v1/sub-orders/${sub}/${name}`, { token, ...(body === undefined ? {} : { body }) });

const runJob = (now: Date) =>
  api("POST", "/v1/admin/jobs/reassignment-stock/run", { token: ADMIN, body: { now: now.toISOString() } });

/**
 * Vendor A's paid sub-order of 2 units moved by ops to vendor B's offer; `e` is the Worker the move
 * runs in (one whose stock objects are lost mid-move leaves the move unfinished, as a stopped
 * request does). B's new sub-order, its vendor's token and barcode.
 */
async function movedToVendorB(e: Env) {
  const { a, b } = await reassignableMarket(10);
  const shopper = await newCustomer();
  const placed = await order(shopper.token, [{ skuId: a.skuId, qty: 2 }]);
  await pay(shopper.token, placed.body.payment.id);
  const orderId = placed.body.order.id as string;
  const move = reassignSubOrder(e, undefined, opsMoveTo(placed.body.order.subOrders[0].id, b.skuId));
  if (e === env) expect((await move).ok).toBe(true);
  else await expect(move).rejects.toThrow("Network connection lost.");
  const moved = await env.DB.prepare("select id from sub_orders where order_id = ? and vendor_id = ?")
    .bind(orderId, b.vendorId)
    .first<{ id: string }>();
  const vendorB = await tokenFor("vendor", { vendorId: b.vendorId });
  return { a, b, orderId, movedId: moved!.id, vendorB };
}

/** Every warehouse's levels of the SKUs, as the stock objects count them. */
async function levels(...skuIds: string[]) {
  const out: Record<string, unknown> = {};
  for (const skuId of skuIds) {
    const snap = await expectStockEquation(skuId);
    out[skuId] = snap.warehouses.map((w) => [w.warehouseId, w.onHand, w.held, w.committed]);
  }
  return out;
}

const subOrderRow = (id: string) =>
  env.DB.prepare("select status, awb from sub_orders where id = ?")
    .bind(id)
    .first<{ status: string; awb: string | null }>();

describe("a sub-order whose stock a reassignment is still moving", () => {
  it("cannot be packed until the move is done; then it packs and ships the moved units", async () => {
    const { a, b, movedId, vendorB } = await movedToVendorB(stockCalls({ reallocate: () => lost }));
    expect((await step(vendorB, movedId, "confirm")).status).toBe(200);
    const before = await levels(a.skuId, b.skuId);

    const packed = await step(vendorB, movedId, "pack", { scanned: [b.barcode, b.barcode] });
    expect(packed.status).toBe(409);
    expect(packed.body).toMatchObject({ code: "CONFLICT", detail: expect.stringContaining("reassignment") });
    expect((await subOrderRow(movedId))!.status).toBe("confirmed");
    expect(await levels(a.skuId, b.skuId)).toEqual(before);

    // The job finishes the move: the order's hold now commits B's units, and the steps go on.
    expect((await runJob(new Date(Date.now() + 2 * 60_000))).body.result.moved).toBeGreaterThanOrEqual(1);
    expect((await step(vendorB, movedId, "pack", { scanned: [b.barcode, b.barcode] })).status).toBe(200);
    const awb = delhiveryAwb();
    expect((await step(vendorB, movedId, "dispatch", { carrier: "delhivery", awb })).status).toBe(200);
    const shipped = await expectStockEquation(b.skuId);
    expect(shipped.warehouses.map((w) => [w.onHand, w.held, w.committed])).toEqual([[8, 0, 0]]);
    const aLeft = await expectStockEquation(a.skuId);
    expect(aLeft.warehouses.map((w) => [w.onHand, w.held, w.committed])).toEqual([
      [10, 0, 0],
      [10, 0, 0],
    ]);
  });

  it("cannot be dispatched while the move is unfinished: nothing ships and the AWB stays free", async () => {
    const { a, b, orderId, movedId, vendorB } = await movedToVendorB(env);
    expect((await step(vendorB, movedId, "confirm")).status).toBe(200);
    expect((await step(vendorB, movedId, "pack", { scanned: [b.barcode, b.barcode] })).status).toBe(200);
    // Stands for a move whose stock has not followed yet (the job would repeat it).
    const unfinished = (v: string | null) =>
      env.DB.prepare("update reassignments set stock_move = ? where order_id = ?").bind(v, orderId).run();
    await unfinished(JSON.stringify({ keys: {}, moves: [], setAside: [] }));
    const before = await levels(a.skuId, b.skuId);

    const awb = delhiveryAwb();
    const refused = await step(vendorB, movedId, "dispatch", { carrier: "delhivery", awb });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: "CONFLICT", detail: expect.stringContaining("reassignment") });
    expect(await subOrderRow(movedId)).toEqual({ status: "packed", awb: null });
    expect(await levels(a.skuId, b.skuId)).toEqual(before);

    await unfinished(null);
    expect((await step(vendorB, movedId, "dispatch", { carrier: "delhivery", awb })).status).toBe(200);
    expect(await subOrderRow(movedId)).toEqual({ status: "dispatched", awb });
    const shipped = await expectStockEquation(b.skuId);
    expect(shipped.warehouses.map((w) => [w.onHand, w.held, w.committed])).toEqual([[8, 0, 0]]);
  });
});
