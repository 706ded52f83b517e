import { SLA_BREACH_REASON } from "../contracts/order-status";
import { database, type Statement } from "../db/client";
import {
  insertWeightsAfter,
  latestWeights,
  learnedThrough,
  listVendorScores,
  type OutcomeRow,
  readDecidedOutcomes,
  upsertVendorScoreAfter,
  vendorOutcomeTotals,
} from "../db/routing";
import type { ExplainedLine, RoutingExplanation } from "../domain/routing/explain";
import { nudgeWeights, type Outcome, scoreOfTotals } from "../domain/routing/learning";
import {
  DEFAULT_VENDOR_SCORE,
  DEFAULT_WEIGHTS,
  type FactorScores,
  factorNames,
  type VendorScore,
} from "../domain/routing/weights";
import { isoSeconds } from "../domain/time";
import { forgetRoutingModel } from "./model";

/** How far back outcomes count: recent enough to follow a vendor that changed, long enough to be steady. */
export const REFIT_WINDOW_DAYS = 30;
/**
 * The most outcomes one run's nudge reads, the newest decided first: at 100,000 dispatches a day
 * about 4,200 are decided an hour, and a nudge needs a sample, not all of them. Each carries its
 * order's routing decision, so the bound is also the run's memory.
 */
export const MAX_NEW_OUTCOMES = 5_000;
const HOUR_MS = 3_600_000;
/**
 * Outcomes decided this recently wait for a later run's nudge. A decision is stamped before it is
 * written (an SLA breach with its chain's first minute, pages and queue retries later; a dispatch
 * with its request's clock), so a watermark at the newest outcome read could pass a stamp still on
 * its way and miss it for good: an hour covers a breach chain with its retries many times over,
 * and the weights move slowly anyway.
 */
const SETTLE_MS = HOUR_MS;
/** Nothing learned yet: every outcome is new. */
const BEGINNING = new Date(0).toISOString();

/** The factor scores routing gave this vendor's chosen warehouses in the order's decision, averaged. */
function chosenScores(explanation: unknown, vendorId: string): FactorScores | undefined {
  const lines = (explanation as RoutingExplanation | undefined)?.lines ?? [];
  const picked = lines.flatMap((l: ExplainedLine) =>
    l.chosen
      .filter((a) => a.vendorId === vendorId)
      .flatMap((a) => {
        const c = l.candidates.find((x) => x.skuId === a.skuId && x.warehouseId === a.warehouseId);
        return c ? [c.scores] : [];
      }),
  );
  if (picked.length === 0) return undefined;
  return Object.fromEntries(
    factorNames.map((f) => [f, picked.reduce((s, p) => s + p[f], 0) / picked.length]),
  ) as FactorScores;
}

function outcomeOf(r: OutcomeRow): Outcome & { decidedAt: string | null } {
  const dispatched = r.dispatchedAt ? Date.parse(r.dispatchedAt) : null;
  const deadline = r.slaDispatchBy ? Date.parse(r.slaDispatchBy) : null;
  // The SLA clock starts when the vendor can see the order. Kept on the sub-order since migration
  // 0030; before it, the deadline less the vendor's SLA as it is now (which may have changed since).
  const started = r.slaStartedAt
    ? Date.parse(r.slaStartedAt)
    : deadline !== null
      ? deadline - r.slaHours * HOUR_MS
      : null;
  const cancelled = r.status === "cancelled";
  const scores = chosenScores(r.explanation, r.vendorId);
  return {
    vendorId: r.vendorId,
    dispatchHours: dispatched !== null && started !== null ? (dispatched - started) / HOUR_MS : null,
    dispatchedOnTime: dispatched !== null && deadline !== null ? dispatched <= deadline : null,
    deliveredOnTime:
      r.deliveredAt && r.promisedDeliveryBy ? Date.parse(r.deliveredAt) <= Date.parse(r.promisedDeliveryBy) : null,
    breached: cancelled && r.cancellationReason === SLA_BREACH_REASON,
    // A parcel closed as undelivered counts against its vendor only if the vendor closed it: a vendor
    // could otherwise dispatch what it cannot ship and call it lost, a cancel passed off as on time.
    vendorCancelled: cancelled && Boolean(r.vendorCancelled),
    ...(scores ? { scores } : {}),
    decidedAt: decidedAt(r),
  };
}

/**
 * How long past its promised date a dispatched parcel is learned from: by then its carrier has
 * reported the delivery, or it is late; one still not reported is learned from its dispatch alone
 * (a marketplace whose carriers report no deliveries still learns).
 */
export const DELIVERY_WAIT_MS = 3 * 24 * HOUR_MS;

/**
 * When an outcome is learned, from facts that no longer change once a parcel is dispatched or
 * cancelled, so each is learned once: a parcel promised a date, DELIVERY_WAIT_MS after it,
 * whatever came since (a delivery is dated by its carrier and at times reported hours late: a
 * decision moving with it fell behind the watermark, or came a second time); one promised nothing
 * when it went out; one cancelled before it went out when it was cancelled.
 */
function decidedAt(r: OutcomeRow): string | null {
  if (r.dispatchedAt === null) return r.status === "cancelled" ? r.cancelledAt : null;
  if (r.promisedDeliveryBy) return isoSeconds(Date.parse(r.promisedDeliveryBy) + DELIVERY_WAIT_MS);
  return r.dispatchedAt;
}

const sameScore = (a: VendorScore, b: VendorScore) =>
  a.avgDispatchHours === b.avgDispatchHours &&
  a.onTimeRateBps === b.onTimeRateBps &&
  a.breachRateBps === b.breachRateBps &&
  a.cancelRateBps === b.cancelRateBps &&
  a.sampleSize === b.sampleSize;

/**
 * Learns from outcomes. Each vendor's speed and reliability are re-fitted from its last 30 days
 * (dispatch against its SLA deadline, SLA breaches, its own cancellations, delivery against the
 * promise), all of them, summed by the database; shrunk towards the prior; vendors without decided
 * outcomes keep the score they have (seeded history in the demo). The factor weights are nudged
 * only by outcomes decided after the learned-through watermark and at least an hour ago
 * (`SETTLE_MS`), read by when they were decided, the newest `limit` of them (a backlog larger than
 * that is learned from its newest part). The watermark moves only when a
 * nudge is applied, to the newest outcome it learned from: outcomes too few to nudge wait for
 * more (a version written for vendor scores alone keeps it), and running twice learns nothing
 * twice. Versions before it existed fall back to the latest version's time. Anything that changed
 * is written as a new `routing_weights` version whose `changes` say what moved and why, and carry
 * the watermark, in one batch, only while the version it started from is still the latest: a
 * version written meanwhile (an admin's `PUT /v1/routing/weights` during the run's slow reads) is
 * learned on, the run starting again from it once, never written over with the older weights.
 */
export async function refitRouting(env: Env, now: Date, limit = MAX_NEW_OUTCOMES) {
  const first = await refitOnce(env, now, limit);
  if (!first.superseded) return first;
  const again = await refitOnce(env, now, limit);
  if (again.superseded) {
    console.warn(JSON.stringify({ job: "routing-refit", outcome: "superseded twice: left to the next run" }));
  }
  return again;
}

async function refitOnce(env: Env, now: Date, limit: number) {
  const db = database(env);
  const since = isoSeconds(now.getTime() - REFIT_WINDOW_DAYS * 24 * HOUR_MS);
  const [totals, current, stored, learned] = await Promise.all([
    vendorOutcomeTotals(db, since, SLA_BREACH_REASON),
    latestWeights(db),
    listVendorScores(db),
    learnedThrough(db),
  ]);

  const previous = new Map<string, VendorScore>(stored.map((s) => [s.vendorId, s]));
  const vendors: { vendorId: string; from: VendorScore; to: VendorScore }[] = [];
  for (const t of totals) {
    const fitted = scoreOfTotals({ ...t, dispatchHours: t.dispatchMs / HOUR_MS });
    const from = previous.get(t.vendorId) ?? DEFAULT_VENDOR_SCORE;
    if (fitted && !sameScore(fitted, from)) vendors.push({ vendorId: t.vendorId, from, to: fitted });
  }

  const weightsNow = current?.weights ?? DEFAULT_WEIGHTS;
  const watermark = learned ?? current?.createdAt ?? BEGINNING;
  const after = Date.parse(watermark);
  const settled = now.getTime() - SETTLE_MS;
  // Read by when they were decided, not when created: the parcels decided now were created days
  // ago, behind every parcel dispatched since, which are all still waiting on their promise.
  const rows = await readDecidedOutcomes(db, {
    since,
    after: watermark,
    until: isoSeconds(settled),
    deliveryWaitMs: DELIVERY_WAIT_MS,
    limit,
  });
  const fresh = rows.map(outcomeOf).filter((o) => {
    const decided = o.decidedAt === null ? null : Date.parse(o.decidedAt);
    return decided !== null && decided > after && decided <= settled;
  });
  const nudged = nudgeWeights(weightsNow, fresh);
  const newest = fresh.reduce((max, o) => Math.max(max, Date.parse(o.decidedAt!)), after);

  const summary = {
    window: { since, until: isoSeconds(now) },
    outcomes: totals.reduce((n, t) => n + t.outcomes, 0),
    newOutcomes: fresh.length,
    learnedThrough: nudged.changes.length > 0 ? new Date(newest).toISOString() : watermark,
  };
  if (vendors.length === 0 && nudged.changes.length === 0) {
    return {
      ...summary,
      changed: false,
      superseded: false,
      weightsVersion: current?.version ?? null,
      vendors: [],
      weights: [],
    };
  }

  const at = isoSeconds(now);
  const changes = {
    reason: "refit",
    ...summary,
    weights: nudged.changes,
    vendors: vendors.map((v) => ({
      vendorId: v.vendorId,
      samples: v.to.sampleSize,
      onTimeRateBps: { from: v.from.onTimeRateBps, to: v.to.onTimeRateBps },
      avgDispatchHours: { from: v.from.avgDispatchHours, to: v.to.avgDispatchHours },
      breachRateBps: { from: v.from.breachRateBps, to: v.to.breachRateBps },
      cancelRateBps: { from: v.from.cancelRateBps, to: v.to.cancelRateBps },
    })),
  };
  // All or nothing, and only while the version read is still the latest: the scores first, each
  // pinned to the version the last statement writes.
  const read = current?.version ?? null;
  const statements: Statement[] = [
    ...vendors.map((v) => upsertVendorScoreAfter(db, read, { vendorId: v.vendorId, ...v.to, updatedAt: at })),
    insertWeightsAfter(db, read, { weights: nudged.weights, changes, createdAt: at }),
  ];
  const [first, ...rest] = statements;
  const results = await db.batch([first!, ...rest]);
  const version = (results.at(-1) as { version: number }[])[0]?.version;
  if (version === undefined) {
    return { ...summary, changed: false, superseded: true, weightsVersion: null, vendors: [], weights: [] };
  }
  forgetRoutingModel();
  return {
    ...summary,
    changed: true,
    superseded: false,
    weightsVersion: version,
    vendors: changes.vendors,
    weights: nudged.changes,
  };
}
