import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { isoSeconds } from "../../src/domain/time";
import { actOnSubOrder } from "../../src/fulfillment/fulfillment";
import { watchSlas } from "../../src/jobs/sla-watcher";
import { ADMIN, api, newCustomer, tokenFor, uid } from "../support/api";
import { type Call, d1Batches, lost, stockCalls } from "../support/bindings";
import { newProduct, newSku } from "../support/catalog";
import { BENGALURU, checkout, pay, stockedSku, stockOf } from "../support/marketplace";

/** A paid sub-order of one unit each of two SKUs of one vendor, confirmed and packed: ready to dispatch. */
async function packedTwoSkuSubOrder() {
  const first = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }] });
  const second = await newSku(first.vendorId, (await newProduct()).id);
  const stocked = await api("PUT", `/v1/skus/${second.id}/stock`, {
    token: ADMIN,
    body: { warehouseId: first.warehouseIds[0], onHand: 5, reason: "count" },
  });
  expect(stocked.status).toBe(200);
  const vendor = await tokenFor("vendor", { vendorId: first.vendorId });
  const shopper = await newCustomer();
  const placed = await checkout(shopper.token, [
    { skuId: first.skuId, qty: 1 },
    { skuId: second.id, qty: 1 },
  ]);
  const paid = await pay(shopper.token, placed.body.payment.id);
  expect(paid.body.subOrders).toHaveLength(1);
  const sub = paid.body.subOrders[0].id as string;
  expect((await api("POST", `/v1/sub-orders/${sub}/confirm`, { token: vendor })).status).toBe(200);
  const lines = (await api("GET", `/v1/sub-orders/${sub}`, { token: vendor })).body.lines as { barcode: string }[];
  const packed = await api("POST", `/v1/sub-orders/${sub}/pack`, {
    token: vendor,
    body: { scanned: lines.map((l) => l.barcode) },
  });
  expect(packed.status).toBe(200);
  // Dispatch ships in this order, and a cancel releases in it.
  const [a, b] = [first.skuId, second.id as string].sort() as [string, string];
  return { sub, vendor, vendorId: first.vendorId, a, b };
}

const statusOf = async (id: string) =>
  (await env.DB.prepare("select status from sub_orders where id = ?").bind(id).first<{ status: string }>())?.status;

const alertsOf = (sub: string) =>
  env.DB.prepare("select template, payload from notifications where recipient = 'ops' and payload like ?")
    .bind(`%${sub}%`)
    .all<{ template: string; payload: string }>()
    .then((r) => r.results);

/**
 * Dispatch stops after `a` shipped, through `broken` bindings (the dispatch throws, as the route's
 * 500 would), then the deadline passes and the watcher ticks three times; the vendor's retry of the
 * dispatch (a new Idempotency-Key) finishes it.
 */
async function stoppedDispatchThenWatcher(broken: (a: string, b: string) => Env) {
  const { sub, vendor, vendorId, a, b } = await packedTwoSkuSubOrder();
  const awb = uid("AWB-").toUpperCase();
  const who = { role: "vendor" as const, tokenId: "t", vendorId };
  await expect(
    actOnSubOrder(broken(a, b), undefined, {
      subOrderId: sub,
      who,
      actor: { role: "vendor", id: vendorId },
      now: new Date(),
      action: "dispatch",
      carrier: "generic",
      awb,
    }),
  ).rejects.toThrow();
  expect(await statusOf(sub)).toBe("packed");
  expect((await stockOf(a)).totals).toMatchObject({ onHand: 4, committed: 0 });

  await env.DB.prepare("update sub_orders set sla_dispatch_by = ? where id = ?")
    .bind(isoSeconds(Date.now() - 60_000), sub)
    .run();
  const releases: string[] = [];
  const counted = stockCalls({
    release:
      (call, skuId): Call =>
      (...args) => {
        releases.push(skuId);
        return call(...args);
      },
  });
  const ticks = [];
  for (let i = 0; i < 3; i++) ticks.push(await watchSlas(counted, new Date(Date.now() + i * 60_000)));

  // Told once, then left alone: a's object refused the one release, and no tick tried again.
  expect(ticks[0]).toMatchObject({ reported: 1, failed: 0, cancelled: 0 });
  expect(ticks.slice(1).map((t) => t.scanned)).toEqual([0, 0]);
  expect(releases.filter((s) => s === a || s === b)).toEqual([a]);
  const alerts = await alertsOf(sub);
  expect(alerts.map((x) => x.template)).toEqual(["sla_dispatch_unfinished"]);
  const text = JSON.parse(alerts[0]!.payload).text as string;
  expect(text).toContain(sub);
  expect(text).toContain(awb);
  expect(text).toMatch(/has shipped while it still reads packed/);
  const ops = await tokenFor("ops");
  const listed = await api("GET", "/v1/ops-alerts?limit=50", { token: ops });
  expect(
    listed.body.items.filter((x: { params: { subOrderId?: string } }) => x.params.subOrderId === sub),
  ).toHaveLength(1);
  // Its deadline stands: the vendor's queue still shows it overdue.
  expect((await api("GET", `/v1/sub-orders/${sub}`, { token: vendor })).body.slaDispatchBy).not.toBeNull();

  const retried = await api("POST", `/v1/sub-orders/${sub}/dispatch`, {
    token: vendor,
    body: { carrier: "generic", awb },
    headers: { "Idempotency-Key": uid("idem-") },
  });
  expect(retried.status, JSON.stringify(retried.body)).toBe(200);
  expect(await statusOf(sub)).toBe("dispatched");
  for (const sku of [a, b]) expect((await stockOf(sku)).totals).toMatchObject({ onHand: 4, committed: 0 });
  await watchSlas(counted, new Date(Date.now() + 5 * 60_000));
  expect(await statusOf(sub)).toBe("dispatched");
  expect(await alertsOf(sub)).toHaveLength(1);
}

describe("the SLA watcher and a dispatch that stopped after its stock shipped", () => {
  it("alerts ops once, stops retrying it, and a retried dispatch finishes it (the second SKU's ship failed)", async () => {
    await stoppedDispatchThenWatcher((_a, b) => stockCalls({ ship: (call, skuId) => (skuId === b ? lost : call) }));
  });

  it("alerts ops once, stops retrying it, and a retried dispatch finishes it (the D1 write failed)", async () => {
    await stoppedDispatchThenWatcher(() => {
      let shipped = false;
      const stock = stockCalls({
        ship:
          (call): Call =>
          async (...args) => {
            const r = await call(...args);
            shipped = true;
            return r;
          },
      });
      const db = d1Batches((batch) => (shipped ? lost : batch)).DB;
      return { ...stock, DB: db };
    });
  });
});
