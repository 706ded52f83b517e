import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { SLA_BREACH_REASON } from "../../src/contracts/order-status";
import { fitVendorScore } from "../../src/domain/routing/learning";
import { isoSeconds } from "../../src/domain/time";
import { routingRefit } from "../../src/jobs/routing-refit";
import { DELIVERY_WAIT_MS, refitRouting } from "../../src/routing/refit";
import { newCustomer, uid } from "../support/api";
import { newVendor } from "../support/catalog";
import { outcomeRows } from "../support/routing-decisions";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

// Routing's scores of the chosen warehouse: the late parcels were the nearer ones.
const GOOD_SCORES = { distance: 0.5, delivery: 0.5, speed: 0.6, reliability: 0.8, cost: 1 };
const BAD_SCORES = { distance: 0.98, delivery: 0.5, speed: 0.6, reliability: 0.8, cost: 1 };

/**
 * `count` sub-orders of `vendorId` created in the day before `now`, one every 4 s, dispatched an
 * hour in and promised two days after `now`: a marketplace's last day of dispatches, none of them
 * decided yet. One INSERT ... SELECT per table over a counter, so the seed is two statements.
 */
async function busyDay(vendorId: string, customerId: string, now: number, count: number) {
  const tag = uid("busy");
  const at = isoSeconds(now);
  const counter = "with recursive n(i) as (select 1 union all select i + 1 from n where i < ?)";
  const created = "strftime('%Y-%m-%dT%H:%M:%SZ', ?, '-' || (i * 4) || ' seconds')";
  await env.DB.batch([
    env.DB.prepare(
      `insert into orders (id, customer_id, status, payment_status, currency, total_minor, ship_to, ship_lat, ship_lng,
         hold_id, hold_expires_at, paid_at, created_at, updated_at)
       ${counter}
       select ? || '_o' || i, ?, 'dispatched', 'paid', 'INR', 1000, '{}', 12.97, 77.59, ? || '_h' || i,
         ${created}, ${created}, ${created}, ? from n`,
    ).bind(count, tag, customerId, tag, at, at, at, at),
    env.DB.prepare(
      `insert into sub_orders (id, order_id, vendor_id, status, currency, subtotal_minor, shipping_minor, total_minor,
         commission_bps, commission_minor, sla_dispatch_by, sla_started_at, dispatched_at, promised_delivery_by,
         created_at, updated_at)
       ${counter}
       select ? || '_s' || i, ? || '_o' || i, ?, 'dispatched', 'INR', 1000, 0, 1000, 1000, 100,
         strftime('%Y-%m-%dT%H:%M:%SZ', ${created}, '+18 hours'), ${created},
         strftime('%Y-%m-%dT%H:%M:%SZ', ${created}, '+1 hours'), ?, ${created}, ? from n`,
    ).bind(count, tag, tag, vendorId, at, at, at, isoSeconds(now + 2 * DAY), at, at),
  ]);
}

/**
 * Parcels of `vendorId` decided at each of `decidedAt` (ms): created four days before their promise,
 * dispatched 4 h into an 18 h clock, delivered half a day before the promise (on time) or a day
 * after it (late), and decided DELIVERY_WAIT_MS after it.
 */
async function parcels(vendorId: string, customerId: string, kind: "on-time" | "late", decidedAt: number[]) {
  const statements: D1PreparedStatement[] = [];
  for (const at of decidedAt) {
    const promised = at - DELIVERY_WAIT_MS;
    const created = promised - 4 * DAY;
    statements.push(
      ...outcomeRows({
        vendorId,
        customerId,
        status: "delivered",
        createdAt: created,
        slaDispatchBy: created + 18 * HOUR,
        slaStartedAt: created,
        dispatchedAt: created + 4 * HOUR,
        promisedDeliveryBy: promised,
        deliveredAt: kind === "on-time" ? promised - 12 * HOUR : promised + DAY,
        scores: kind === "on-time" ? GOOD_SCORES : BAD_SCORES,
      }),
    );
  }
  await env.DB.batch(statements);
}

describe("routing-refit at marketplace scale", () => {
  it("learns from the parcels decided now, created days before a day of dispatches larger than any read", async () => {
    const now = Math.ceil(Date.now() / HOUR) * HOUR + DAY;
    const shopper = await newCustomer();
    const busy = await newVendor();
    const old = await newVendor();
    // More dispatches in the last day than the re-fit ever read by creation (20,000).
    await busyDay(busy.id, shopper.customerId, now, 20_100);
    // Created ten days ago, promised six days ago: decided three days ago, long after the busy
    // day's parcels were created.
    const decided = now - 6 * DAY + DELIVERY_WAIT_MS;
    expect(decided).toBe(now - 3 * DAY);
    await parcels(old.id, shopper.customerId, "on-time", [decided, decided, decided, decided]);
    await parcels(old.id, shopper.customerId, "late", [decided, decided, decided, decided]);

    const run = await routingRefit(env, new Date(now));
    // The eight old parcels are the only ones decided so far: the weights learn from them.
    expect(run.newOutcomes).toBe(8);
    const distance = run.weights.find((w) => w.factor === "distance");
    expect(distance?.to).toBeLessThan(distance!.from);
    expect(run.learnedThrough).toBe(new Date(decided).toISOString());

    // The vendor scores still cover the whole 30-day window: the old vendor's four late deliveries
    // count against it, and every parcel of the busy day counts for the busy vendor.
    const scores = new Map(run.vendors.map((v) => [v.vendorId, v]));
    expect(scores.get(old.id)).toMatchObject({
      samples: 8,
      onTimeRateBps: { to: Math.round(((5 * 0.9 + 4) / 13) * 10_000) },
    });
    expect(scores.get(busy.id)?.samples).toBe(20_100);

    // Nothing new has been decided since: a second run learns nothing twice.
    expect((await routingRefit(env, new Date(now + 2 * HOUR))).newOutcomes).toBe(0);
  });

  it("reads at most its bound of new outcomes, the newest decided", async () => {
    // A hundred days on: the first test's outcomes are out of this run's 30-day window.
    const now = Math.ceil(Date.now() / HOUR) * HOUR + 101 * DAY;
    const shopper = await newCustomer();
    const vendor = await newVendor();
    const older = now - 10 * HOUR;
    const newer = now - 5 * HOUR;
    await parcels(vendor.id, shopper.customerId, "late", [older, older + 1_000, older + 2_000]);
    await parcels(vendor.id, shopper.customerId, "on-time", [newer, newer + 1_000, newer + 2_000]);
    await parcels(vendor.id, shopper.customerId, "late", [newer + 3_000, newer + 4_000, newer + 5_000]);

    const run = await refitRouting(env, new Date(now), 6);
    expect(run.newOutcomes).toBe(6);
    expect(run.weights.length).toBeGreaterThan(0);
    expect(run.learnedThrough).toBe(new Date(newer + 5_000).toISOString());
    // The vendor's score is summed over its whole window, whatever the bound.
    expect(run.vendors.find((v) => v.vendorId === vendor.id)?.samples).toBe(9);
  });

  it("sums a vendor's window as the score's fit counts each outcome", async () => {
    const now = Math.ceil(Date.now() / HOUR) * HOUR + 202 * DAY;
    const shopper = await newCustomer();
    const vendor = await newVendor();
    await parcels(vendor.id, shopper.customerId, "on-time", [now - 2 * DAY, now - 2 * DAY + 1_000]);
    await parcels(vendor.id, shopper.customerId, "late", [now - 2 * DAY + 2_000]);
    // Two SLA breaches, cancelled at their 18 h deadline, never dispatched.
    const breaches: D1PreparedStatement[] = [];
    for (const i of [0, 1]) {
      const created = now - 3 * DAY + i * 1_000;
      breaches.push(
        ...outcomeRows({
          vendorId: vendor.id,
          customerId: shopper.customerId,
          status: "cancelled",
          createdAt: created,
          slaDispatchBy: created + 18 * HOUR,
          slaStartedAt: created,
          cancelledAt: created + 18 * HOUR,
          cancellationReason: SLA_BREACH_REASON,
          scores: BAD_SCORES,
        }),
      );
    }
    await env.DB.batch(breaches);

    const run = await refitRouting(env, new Date(now));
    const dispatched = {
      vendorId: vendor.id,
      dispatchHours: 4,
      dispatchedOnTime: true,
      breached: false,
      vendorCancelled: false,
    };
    const breached = {
      ...dispatched,
      dispatchHours: null,
      dispatchedOnTime: null,
      deliveredOnTime: null,
      breached: true,
    };
    const expected = fitVendorScore([
      { ...dispatched, deliveredOnTime: true },
      { ...dispatched, deliveredOnTime: true },
      { ...dispatched, deliveredOnTime: false },
      breached,
      breached,
    ])!;
    const fitted = run.vendors.find((v) => v.vendorId === vendor.id)!;
    expect(fitted).toMatchObject({
      samples: expected.sampleSize,
      onTimeRateBps: { to: expected.onTimeRateBps },
      avgDispatchHours: { to: expected.avgDispatchHours },
      breachRateBps: { to: expected.breachRateBps },
      cancelRateBps: { to: expected.cancelRateBps },
    });
  });
});
