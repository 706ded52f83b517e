import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { isoSeconds } from "../../src/domain/time";
import { east, offer, quote } from "../http/routing.fixtures";
import { ADMIN, api, newCustomer } from "../support/api";
import { newProduct } from "../support/catalog";
import { BENGALURU, checkout, pay, stockedSku } from "../support/marketplace";
import { outcomeRows } from "../support/routing-decisions";

const HOUR = 3_600_000;

/**
 * Past sub-orders of `vendorId`, as the fulfillment flow would have left them: dispatched
 * `dispatchAfterHours` after the SLA clock started, against an 18 h SLA. Each order carries the
 * routing decision that chose the vendor, with the factor scores it was given.
 */
async function history(opts: {
  vendorId: string;
  customerId: string;
  count: number;
  from: number;
  dispatchAfterHours: number;
  scores: Record<string, number>;
  /** Whether the rows keep when their clock started, as sub-orders do since migration 0030. */
  clockKept?: boolean;
}) {
  const statements: D1PreparedStatement[] = [];
  for (let i = 0; i < opts.count; i++) {
    const created = opts.from + i * HOUR;
    statements.push(
      ...outcomeRows({
        vendorId: opts.vendorId,
        customerId: opts.customerId,
        status: "dispatched",
        createdAt: created,
        slaDispatchBy: created + 18 * HOUR,
        slaStartedAt: opts.clockKept ? created : null,
        dispatchedAt: created + opts.dispatchAfterHours * HOUR,
        scores: opts.scores,
      }),
    );
  }
  await env.DB.batch(statements);
}

const runRefit = (now: number) =>
  api("POST", "/v1/admin/jobs/routing-refit/run", { token: ADMIN, body: { now: isoSeconds(now) } });

describe("routing-refit job", () => {
  it("moves a vendor's score down after late dispatches, routing follows, and the weights learn once", async () => {
    const product = await newProduct();
    const late = await offer({ productId: product.id, warehouses: [{ at: east(BENGALURU, 3), onHand: 10 }] });
    const prompt = await offer({ productId: product.id, warehouses: [{ at: east(BENGALURU, 20), onHand: 10 }] });
    const shopper = await newCustomer();
    const before = await quote(shopper.token, [{ productId: product.id, qty: 1 }]);
    expect(before.body.shipments[0].vendorId).toBe(late.vendorId);
    const weightsBefore = (await api("GET", "/v1/routing/weights", { token: ADMIN })).body;

    // Outcomes decided after the weights in use were written, so they are new evidence.
    const start = Date.now() + HOUR;
    const nearScores = { distance: 0.98, delivery: 0.53, speed: 0.67, reliability: 0.85, cost: 1 };
    const farScores = { distance: 0.9, delivery: 0.53, speed: 0.67, reliability: 0.85, cost: 1 };
    await history({
      vendorId: late.vendorId,
      customerId: shopper.customerId,
      count: 10,
      from: start,
      dispatchAfterHours: 30,
      scores: nearScores,
    });
    await history({
      vendorId: prompt.vendorId,
      customerId: shopper.customerId,
      count: 10,
      from: start,
      dispatchAfterHours: 4,
      scores: farScores,
    });

    const now = start + 3 * 24 * HOUR;
    const run = await runRefit(now);
    expect(run.status).toBe(200);
    const result = run.body.result;
    expect(result.changed).toBe(true);
    expect(result.weightsVersion).toBe(weightsBefore.version + 1);
    const moved = new Map(result.vendors.map((v: any) => [v.vendorId, v]));
    const lateChange = moved.get(late.vendorId) as any;
    expect(lateChange.onTimeRateBps.to).toBeLessThan(lateChange.onTimeRateBps.from);
    expect(lateChange.avgDispatchHours.to).toBeGreaterThan(lateChange.avgDispatchHours.from);
    expect((moved.get(prompt.vendorId) as any).onTimeRateBps.to).toBeGreaterThan(9_000);

    const scores = (await api("GET", "/v1/routing/vendor-scores", { token: ADMIN })).body.items;
    const lateScore = scores.find((s: any) => s.vendorId === late.vendorId);
    expect(lateScore).toMatchObject({ sampleSize: 10, weightsVersion: result.weightsVersion });
    expect(lateScore.onTimeRateBps).toBeLessThan(5_000);

    // Routing follows: the prompt vendor a little farther away now wins the same cart.
    const after = await quote(shopper.token, [{ productId: product.id, qty: 1 }]);
    expect(after.body.shipments[0].vendorId).toBe(prompt.vendorId);

    // Late parcels were the nearer ones: distance loses a little weight, and the version says so.
    const weights = (await api("GET", "/v1/routing/weights", { token: ADMIN })).body;
    expect(weights.version).toBe(result.weightsVersion);
    expect(weights.weights.distance).toBeLessThan(weightsBefore.weights.distance);
    expect(weights.changes.weights.find((c: any) => c.factor === "distance")).toMatchObject({
      from: weightsBefore.weights.distance,
    });
    expect(weights.changes.vendors.map((v: any) => v.vendorId)).toContain(late.vendorId);

    // Nothing new since: a second run learns nothing twice and writes no version.
    const again = await runRefit(now);
    expect(again.body.result).toMatchObject({ changed: false, weightsVersion: result.weightsVersion });
  });

  it("measures a dispatch from when its clock started, whatever the vendor's SLA is now", async () => {
    // A payment starts the clock and keeps when it did.
    const sku = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 1 }], vendor: { dispatchSlaHours: 18 } });
    const buyer = await newCustomer();
    const placed = await checkout(buyer.token, [{ skuId: sku.skuId, qty: 1 }]);
    const paid = await pay(buyer.token, placed.body.payment.id);
    const clock = await env.DB.prepare(
      "select sla_started_at as started, sla_dispatch_by as due from sub_orders where id = ?",
    )
      .bind(paid.body.subOrders[0].id)
      .first<{ started: string; due: string }>();
    expect(Date.parse(clock!.due) - Date.parse(clock!.started)).toBe(18 * HOUR);

    // A vendor that dispatched 30 h into an 18 h clock, whose SLA an admin has since raised to 48 h.
    const product = await newProduct();
    const v = await offer({ productId: product.id, warehouses: [{ at: BENGALURU, onHand: 1 }] });
    const shopper = await newCustomer();
    const start = Date.now() + HOUR;
    const scores = { distance: 0.9, delivery: 0.5, speed: 0.6, reliability: 0.8, cost: 1 };
    await history({
      vendorId: v.vendorId,
      customerId: shopper.customerId,
      count: 10,
      from: start,
      dispatchAfterHours: 30,
      scores,
      clockKept: true,
    });
    const raised = await api("PATCH", `/v1/vendors/${v.vendorId}`, { token: ADMIN, body: { dispatchSlaHours: 48 } });
    expect(raised.status).toBe(200);
    expect((await runRefit(start + 3 * 24 * HOUR)).status).toBe(200);
    const score = (await api("GET", "/v1/routing/vendor-scores", { token: ADMIN })).body.items.find(
      (x: { vendorId: string }) => x.vendorId === v.vendorId,
    );
    // Ten dispatches of 30 h, shrunk towards the default 12 h by five pseudo-outcomes: 24 h. Read
    // against the SLA as it is now, each would have taken 0 h.
    expect(score.avgDispatchHours).toBe(24);
  });

  it("counts a parcel closed as undelivered against its vendor only if the vendor closed it", async () => {
    const product = await newProduct();
    const byCarrier = await offer({ productId: product.id, warehouses: [{ at: BENGALURU, onHand: 1 }] });
    const byVendor = await offer({ productId: product.id, warehouses: [{ at: BENGALURU, onHand: 1 }] });
    const delivered = await offer({ productId: product.id, warehouses: [{ at: BENGALURU, onHand: 1 }] });
    const shopper = await newCustomer();
    const start = Date.now() + HOUR;
    const scores = { distance: 0.9, delivery: 0.5, speed: 0.6, reliability: 0.8, cost: 1 };
    for (const v of [byCarrier, byVendor, delivered]) {
      await history({
        vendorId: v.vendorId,
        customerId: shopper.customerId,
        count: 10,
        from: start,
        dispatchAfterHours: 4,
        scores,
        clockKept: true,
      });
    }
    // Every parcel of the first two came back: the carrier said so for one, the vendor for the other.
    for (const [v, role, actor] of [
      [byCarrier, "system", "carrier:delhivery"],
      [byVendor, "vendor", byVendor.vendorId],
    ] as const) {
      const subs = (
        await env.DB.prepare("select id, order_id as orderId, dispatched_at as at from sub_orders where vendor_id = ?")
          .bind(v.vendorId)
          .all<{ id: string; orderId: string; at: string }>()
      ).results;
      await env.DB.batch(
        subs.flatMap((s) => [
          env.DB.prepare(
            "update sub_orders set status = 'cancelled', cancellation_reason = 'returned_to_origin', cancelled_at = ? where id = ?",
          ).bind(s.at, s.id),
          env.DB.prepare(
            `insert into order_events (order_id, sub_order_id, type, at, actor_role, actor_id, reason, data, dedupe_key)
             values (?, ?, 'sub_order.cancelled', ?, ?, ?, 'returned_to_origin', '{}', ?)`,
          ).bind(s.orderId, s.id, s.at, role, actor, `sub_order.cancelled:${s.id}`),
        ]),
      );
    }
    expect((await runRefit(start + 3 * 24 * HOUR)).status).toBe(200);
    const items = (await api("GET", "/v1/routing/vendor-scores", { token: ADMIN })).body.items;
    const rateOf = (vendorId: string) => items.find((x: { vendorId: string }) => x.vendorId === vendorId).cancelRateBps;
    expect(rateOf(byCarrier.vendorId)).toBe(rateOf(delivered.vendorId));
    expect(rateOf(byVendor.vendorId)).toBeGreaterThan(rateOf(delivered.vendorId));
  });

  it("keeps a vendor's seeded score until it has outcomes of its own", async () => {
    const product = await newProduct();
    const v = await offer({ productId: product.id, warehouses: [{ at: BENGALURU, onHand: 1 }] });
    const seeded = {
      avgDispatchHours: 7,
      onTimeRateBps: 9_400,
      breachRateBps: 100,
      cancelRateBps: 100,
      sampleSize: 25,
    };
    await api("PUT", `/v1/routing/vendor-scores/${v.vendorId}`, { token: ADMIN, body: seeded });
    await runRefit(Date.now() + 10 * 24 * HOUR);
    const scores = (await api("GET", "/v1/routing/vendor-scores", { token: ADMIN })).body.items;
    expect(scores.find((s: any) => s.vendorId === v.vendorId)).toMatchObject(seeded);
  });

  it("is listed among the jobs, hourly", async () => {
    const r = await api("GET", "/v1/admin/jobs", { token: ADMIN });
    expect(r.body.items).toContainEqual(expect.objectContaining({ name: "routing-refit", schedule: "0 * * * *" }));
  });
});
