import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { auditInvariants } from "../../src/jobs/audit-invariants";
import { ADMIN, api } from "../support/api";
import { BENGALURU, paidOrderOfTwoVendors, stockedSku, stockOf } from "../support/marketplace";
import { seedPaidOrders } from "../support/seed-orders";

const step = (token: string, sub: string, name: string, body?: unknown) =>
  api("POST", `/v1/sub-orders/${sub}/${name}`, { token, ...(body === undefined ? {} : { body }) });

/** A paid order of one unit from vendor A and one from vendor B, whose part B then cancels. */
async function orderWithBCancelled() {
  const { a, vendorA, vendorB, orderId, subA, subB } = await paidOrderOfTwoVendors();
  const cancelled = await step(vendorB, subB, "cancel", {
    reason: "out of stock",
  });
  expect(cancelled.status).toBe(200);
  return { orderId, a, vendorA, subA };
}

async function violationsOf(orderId: string) {
  const { violations } = await auditInvariants(env, new Date());
  return violations.filter((v) => v.orderId === orderId);
}

const orderStatus = async (orderId: string) =>
  (await api("GET", `/v1/orders/${orderId}`, { token: ADMIN })).body.status as string;

describe("the invariant audit after a partial cancellation", () => {
  it("reports nothing for a correct order whose one vendor cancelled and the other dispatched", async () => {
    const o = await orderWithBCancelled();
    expect((await step(o.vendorA, o.subA, "confirm")).status).toBe(200);
    const barcode = (await api("GET", `/v1/sub-orders/${o.subA}`, { token: o.vendorA })).body.lines[0].barcode;
    expect((await step(o.vendorA, o.subA, "pack", { scanned: [barcode] })).status).toBe(200);
    const awb = `${Date.now()}`.slice(-9);
    expect((await step(o.vendorA, o.subA, "dispatch", { carrier: "trackon", awb })).status).toBe(200);
    expect(await orderStatus(o.orderId)).toBe("dispatched");

    expect(await violationsOf(o.orderId)).toEqual([]);
  });

  it("still audits the partially cancelled order: a live line that lost its stock is reported", async () => {
    const o = await orderWithBCancelled();
    expect(await orderStatus(o.orderId)).toBe("partially_cancelled");
    const { holdId } = (await env.DB.prepare("select hold_id as holdId from orders where id = ?")
      .bind(o.orderId)
      .first<{ holdId: string }>())!;
    // A's units go back to the shelf behind the order's back.
    expect((await env.SKU_STOCK.get(env.SKU_STOCK.idFromName(o.a.skuId)).release(holdId, "test")).ok).toBe(true);

    expect(await violationsOf(o.orderId)).toEqual([
      { kind: "line_not_committed_once", orderId: o.orderId, skuId: o.a.skuId, detail: "expected 1, found 0" },
    ]);
  });
});

describe("the invariant audit on a busy day", () => {
  it("checks the latest paid orders whatever their status, though more than its sample were dispatched", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 300 }], vendor: { hourlyCapacity: 1_000 } });
    const shipped = await seedPaidOrders(s.skuId, 210, 30);
    // Dispatched since: their statuses sort first and fill a page read by status.
    await env.DB.prepare("update orders set status = 'dispatched' where id in (select value from json_each(?))")
      .bind(JSON.stringify(shipped.map((o) => o.orderId)))
      .run();
    // The day's last paid order, whose units the stock object lost.
    const [lost] = await seedPaidOrders(s.skuId, 1);
    const holdId = (await env.DB.prepare("select hold_id as h from orders where id = ?")
      .bind(lost!.orderId)
      .first<{ h: string }>())!.h;
    expect((await env.SKU_STOCK.get(env.SKU_STOCK.idFromName(s.skuId)).release(holdId, "lost")).ok).toBe(true);

    expect(await violationsOf(lost!.orderId)).toEqual([
      { kind: "line_not_committed_once", orderId: lost!.orderId, skuId: s.skuId, detail: "expected 1, found 0" },
    ]);
  }, 60_000);
});

describe("the invariant audit on orders cancelled whole", () => {
  it("reports, gives back and alerts ops once of units a cancelled order still holds", async () => {
    const o = await paidOrderOfTwoVendors();
    // D1 says the order is cancelled; its units were never given back (a cancel racing a move).
    await env.DB.batch([
      env.DB.prepare("update sub_orders set status = 'cancelled' where order_id = ?").bind(o.orderId),
      env.DB.prepare("update orders set status = 'cancelled', updated_at = ? where id = ?").bind(
        new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
        o.orderId,
      ),
    ]);
    const expected = [o.a.skuId, o.b.skuId].map((skuId) => ({
      kind: "cancelled_order_holds_units",
      orderId: o.orderId,
      skuId,
      detail: "1 unit(s) still held or committed, now given back to sale",
    }));
    expect((await violationsOf(o.orderId)).sort((x, y) => x.skuId.localeCompare(y.skuId))).toEqual(
      expected.sort((x, y) => x.skuId.localeCompare(y.skuId)),
    );
    // Given back: back on sale, and the next run finds nothing.
    expect(await violationsOf(o.orderId)).toEqual([]);
    for (const sku of [o.a, o.b]) expect((await stockOf(sku.skuId)).totals).toMatchObject({ held: 0, committed: 0 });
    const alerts = await api("GET", "/v1/ops-alerts?limit=200", { token: ADMIN });
    const mine = alerts.body.items.filter((a: any) => a.params.orderId === o.orderId);
    expect(mine).toHaveLength(2);
    expect(mine[0]).toMatchObject({ template: "invariant_violated" });
  });

  it("reports nothing for an order cancelled whole whose units went back", async () => {
    const o = await paidOrderOfTwoVendors();
    const cancel = await api("POST", `/v1/orders/${o.orderId}/cancel`, {
      token: ADMIN,
      body: { reason: "changed_mind" },
    });
    expect(cancel.status).toBe(200);
    expect(await violationsOf(o.orderId)).toEqual([]);
  });
});

describe("the invariant audit's sample", () => {
  it("checks the orders changed last, though more than its sample were placed after them", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 300 }], vendor: { hourlyCapacity: 1_000 } });
    const [early] = await seedPaidOrders(s.skuId, 1);
    await seedPaidOrders(s.skuId, 205, 30);
    // The early order changes now (a move, a cancel) and its units are lost in the change.
    const holdId = (await env.DB.prepare("select hold_id as h from orders where id = ?")
      .bind(early!.orderId)
      .first<{ h: string }>())!.h;
    await env.DB.prepare("update orders set updated_at = ? where id = ?")
      .bind(new Date(Date.now() + 1_000).toISOString().replace(/\.\d{3}Z$/, "Z"), early!.orderId)
      .run();
    expect((await env.SKU_STOCK.get(env.SKU_STOCK.idFromName(s.skuId)).release(holdId, "lost")).ok).toBe(true);

    expect(await violationsOf(early!.orderId)).toEqual([
      { kind: "line_not_committed_once", orderId: early!.orderId, skuId: s.skuId, detail: "expected 1, found 0" },
    ]);
  }, 60_000);
});
