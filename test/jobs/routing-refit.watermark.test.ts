import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { SLA_BREACH_REASON } from "../../src/contracts/order-status";
import { isoSeconds } from "../../src/domain/time";
import { routingRefit } from "../../src/jobs/routing-refit";
import { DELIVERY_WAIT_MS } from "../../src/routing/refit";
import { newCustomer } from "../support/api";
import { newVendor } from "../support/catalog";
import { outcomeRows } from "../support/routing-decisions";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

// The weights and their watermark are shared by every test of this file (storage is per file): each
// test lives 100 days after the one before, so no run reads another test's outcomes (a run reads
// the last 30 days), and the tests run in the order written.
const base = Math.ceil(Date.now() / HOUR) * HOUR + DAY;
const epochs = {
  tooFew: base,
  afterTheRead: base + 100 * DAY,
  lateStamp: base + 200 * DAY,
  lateDelivery: base + 300 * DAY,
};

// Routing's scores of the chosen warehouse: the late and breached parcels were the nearer ones.
const GOOD_SCORES = { distance: 0.5, delivery: 0.5, speed: 0.6, reliability: 0.8, cost: 1 };
const BAD_SCORES = { distance: 0.98, delivery: 0.5, speed: 0.6, reliability: 0.8, cost: 1 };

type Kind = "on-time" | "late" | "breach";
/** A delivery promised at `promised` (ms), delivered at `delivered` if it was. */
type Delivery = { promised: number; delivered?: number };

/**
 * Sub-orders of `vendorId` decided at `decidedAt` (each ms), as fulfillment or the SLA watcher left
 * them against an 18 h clock: dispatched 4 h in (on time), 30 h in (late), or cancelled at the
 * deadline as a breach, stamped `decidedAt`. Each order carries the routing decision with its scores.
 */
async function outcomes(
  vendorId: string,
  customerId: string,
  kind: Kind,
  decidedAt: number[],
  delivery?: Delivery,
  scores = kind === "on-time" ? GOOD_SCORES : BAD_SCORES,
) {
  const statements: D1PreparedStatement[] = [];
  for (const at of decidedAt) {
    const created = at - (kind === "on-time" ? 4 : kind === "late" ? 30 : 18) * HOUR;
    const cancelled = kind === "breach";
    statements.push(
      ...outcomeRows({
        vendorId,
        customerId,
        status: cancelled ? "cancelled" : "dispatched",
        createdAt: created,
        updatedAt: at,
        slaDispatchBy: created + 18 * HOUR,
        slaStartedAt: created,
        ...(cancelled ? { cancelledAt: at, cancellationReason: SLA_BREACH_REASON } : { dispatchedAt: at }),
        ...(delivery ? { promisedDeliveryBy: delivery.promised } : {}),
        ...(delivery?.delivered ? { deliveredAt: delivery.delivered } : {}),
        scores,
      }),
    );
  }
  await env.DB.batch(statements);
}

async function market() {
  const vendor = await newVendor();
  const shopper = await newCustomer();
  return {
    add: (kind: Kind, decidedAt: number[], delivery?: Delivery, scores?: typeof GOOD_SCORES) =>
      outcomes(vendor.id as string, shopper.customerId, kind, decidedAt, delivery, scores),
  };
}

describe("routing-refit's learned-through watermark", () => {
  it("keeps outcomes too few to nudge for a later run when a version for vendor scores moves on", async () => {
    const t = epochs.tooFew;
    const m = await market();
    await m.add("on-time", [t - 5 * HOUR, t - 4 * HOUR]);
    await m.add("late", [t - 5 * HOUR, t - 4 * HOUR]);
    const first = await routingRefit(env, new Date(t));
    // The vendor's score moved (a version is written) but two of each are too few to move the weights.
    expect(first).toMatchObject({ changed: true, newOutcomes: 4, weights: [] });

    await m.add("on-time", [t + HOUR]);
    await m.add("late", [t + HOUR]);
    const second = await routingRefit(env, new Date(t + 3 * HOUR));
    // All six together: three of each, enough to nudge.
    expect(second.newOutcomes).toBe(6);
    expect(second.weights.map((w) => w.factor)).toContain("distance");
  });

  it("learns once from an outcome written after the run's scheduled time, before its read", async () => {
    const t = epochs.afterTheRead;
    const m = await market();
    await m.add("on-time", [t - 3 * HOUR, t - 3 * HOUR + 60_000, t - 3 * HOUR + 120_000]);
    await m.add("late", [t - 2 * HOUR, t - 2 * HOUR + 60_000, t - 2 * HOUR + 120_000]);
    // The cron fired at `t`; these were dispatched in the seconds before the job read the outcomes.
    await m.add("on-time", [t + 1_000, t + 2_000, t + 3_000]);
    await m.add("late", [t + 4_000, t + 5_000, t + 6_000]);
    const first = await routingRefit(env, new Date(t));
    expect(first.newOutcomes).toBe(6);
    expect(first.weights.length).toBeGreaterThan(0);
    const second = await routingRefit(env, new Date(t + 2 * HOUR));
    expect(second.newOutcomes).toBe(6);
    const third = await routingRefit(env, new Date(t + 4 * HOUR));
    expect(third).toMatchObject({ newOutcomes: 0, weights: [] });
  });

  it("counts SLA breaches stamped with their chain's first minute and written after a run", async () => {
    const t = epochs.lateStamp;
    const m = await market();
    await m.add("on-time", [t - 3 * HOUR, t - 3 * HOUR + 60_000, t - 3 * HOUR + 120_000]);
    await m.add("late", [t - 2 * HOUR, t - 2 * HOUR + 60_000, t - 2 * HOUR + 120_000]);
    // Dispatched half a minute before the run, after the breach chain below started.
    await m.add("on-time", [t - 30_000]);
    const first = await routingRefit(env, new Date(t));
    expect(first.weights.length).toBeGreaterThan(0);

    // A breach chain that started the minute before the run wrote its last page after the run read.
    await m.add("breach", [t - 60_000, t - 60_000, t - 60_000]);
    await m.add("on-time", [t + 10 * 60_000, t + 11 * 60_000, t + 12 * 60_000]);
    const second = await routingRefit(env, new Date(t + 2 * HOUR));
    // The three breaches, the dispatch half a minute before the first run, and the three since.
    expect(second.newOutcomes).toBe(7);
    expect(second.weights.map((w) => w.factor)).toContain("distance");
  });

  it("learns a promised parcel once, after its promise, late if delivered late whenever that was reported", async () => {
    const t = epochs.lateDelivery;
    const m = await market();
    await m.add("on-time", [t - 3 * HOUR, t - 3 * HOUR + 60_000, t - 3 * HOUR + 120_000]);
    // Dispatched in time, promised for tomorrow, not delivered yet: nothing is known of the delivery.
    const promised = t + DAY;
    const dispatched = [t - 3 * HOUR + 180_000, t - 3 * HOUR + 240_000, t - 3 * HOUR + 300_000];
    await m.add("on-time", dispatched, { promised }, BAD_SCORES);
    const first = await routingRefit(env, new Date(t));
    expect(first.newOutcomes).toBe(3);

    // A day after the promise a nudging run moves the watermark past the carrier's delivery scans.
    await m.add("on-time", [t + 2 * DAY - 3 * HOUR, t + 2 * DAY - 3 * HOUR + 1_000, t + 2 * DAY - 3 * HOUR + 2_000]);
    await m.add("late", [t + 2 * DAY - 3 * HOUR, t + 2 * DAY - 3 * HOUR + 1_000, t + 2 * DAY - 3 * HOUR + 2_000]);
    const nudging = await routingRefit(env, new Date(t + 2 * DAY));
    expect(nudging.weights.length).toBeGreaterThan(0);
    // Only now is the delivery reported, dated by the carrier a day late and before the watermark.
    const markDelivered = (at: number) =>
      env.DB.prepare(
        `update sub_orders set delivered_at = ?, status = 'delivered'
         where promised_delivery_by = ? and vendor_id = (select vendor_id from sub_orders where dispatched_at = ?)`,
      )
        .bind(isoSeconds(at), isoSeconds(promised), isoSeconds(dispatched[0]!))
        .run();
    await markDelivered(t + 2 * DAY - 2 * HOUR);

    // Learned once its wait is over, as late: the nearer warehouse they came from loses weight.
    const learnedAt = promised + DELIVERY_WAIT_MS;
    await m.add("on-time", [learnedAt - 3 * HOUR, learnedAt - 3 * HOUR + 1_000, learnedAt - 3 * HOUR + 2_000]);
    const second = await routingRefit(env, new Date(learnedAt + 2 * HOUR));
    expect(second.newOutcomes).toBe(6);
    const distance = second.weights.find((w) => w.factor === "distance")!;
    expect(distance.to).toBeLessThan(distance.from);

    // A later report of the same deliveries is not learned again.
    await markDelivered(learnedAt + DAY);
    expect((await routingRefit(env, new Date(learnedAt + 2 * DAY))).newOutcomes).toBe(0);
  });
});
