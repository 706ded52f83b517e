import { and, eq, inArray, type SQL, sql } from "drizzle-orm";
import { requestedNudgeLeadMinutes, type UpdateVendor, type Vendor } from "../contracts/catalog";
import { newId } from "../domain/ids";
import { selectIn } from "./chunks";
import { type Db, runBatch } from "./client";
import { queueOpsAlertWhile } from "./ops-alerts";
import { type After, afterKey, keyOrder, toPage } from "./paging";
import { readinessForAccount, reportedReadiness } from "./payout-accounts";
import { subOrders, vendors } from "./schema";

// The wire shape is these columns of the vendors row; the payout readiness columns are read by payout-accounts.ts.
const vendorShape = {
  id: vendors.id,
  name: vendors.name,
  status: vendors.status,
  dispatchSlaHours: vendors.dispatchSlaHours,
  // Whole hours, rounded down (SQLite divides integers as integers), for clients older than the minutes.
  nudgeLeadHours: sql<number>`${vendors.nudgeLeadMinutes} / 60`,
  nudgeLeadMinutes: vendors.nudgeLeadMinutes,
  commissionBps: vendors.commissionBps,
  hourlyCapacity: vendors.hourlyCapacity,
  payoutAccountId: vendors.payoutAccountId,
  contactPhone: vendors.contactPhone,
  contactEmail: vendors.contactEmail,
  createdAt: vendors.createdAt,
  onboarding: vendors.onboarding,
} satisfies { [K in keyof Vendor]: unknown };

/** The nudge lead's columns: the minutes, and the superseded hours column kept equal to their whole hours. */
function nudgeLead(minutes: number) {
  return { nudgeLeadMinutes: minutes, nudgeLeadHours: Math.floor(minutes / 60) };
}

/** A new vendor; one made with a payout account starts with the provider's latest report on it. */
export async function insertVendor(db: Db, vendor: Omit<Vendor, "nudgeLeadHours">): Promise<Vendor> {
  return await db
    .insert(vendors)
    .values({ ...vendor, ...nudgeLead(vendor.nudgeLeadMinutes), ...reportedReadiness(vendor.payoutAccountId) })
    .returning(vendorShape)
    .get();
}

export async function findVendor(db: Db, id: string): Promise<Vendor | null> {
  return (await db.select(vendorShape).from(vendors).where(eq(vendors.id, id)).get()) ?? null;
}

/** By name, then id. `onlyId` narrows the list to one vendor (what a vendor may see of the list). */
export async function listVendors(db: Db, q: { limit: number; after: After | undefined; onlyId?: string }) {
  const rows = await db
    .select(vendorShape)
    .from(vendors)
    .where(and(q.onlyId ? eq(vendors.id, q.onlyId) : undefined, afterKey(vendors.name, vendors.id, q.after)))
    .orderBy(...keyOrder(vendors.name, vendors.id))
    .limit(q.limit + 1)
    .all();
  return toPage(
    rows,
    q.limit,
    (r) => ({ key: r.name, id: r.id }),
    (r) => r,
  );
}

/**
 * Null when there is no vendor `id`, or when the change would leave its nudge lead not below its
 * SLA: the caller checked the pair against the row it read, and a change to the other since (a
 * vendor's lead racing an admin's SLA) would pass that check and have every sub-order nudged at once.
 */
export async function updateVendor(db: Db, id: string, patch: UpdateVendor): Promise<Vendor | null> {
  if (Object.keys(patch).length === 0) return findVendor(db, id);
  const { nudgeLeadHours: _hours, nudgeLeadMinutes: _minutes, ...fields } = patch;
  const lead = requestedNudgeLeadMinutes(patch);
  const set = {
    ...fields,
    ...(lead === undefined ? {} : nudgeLead(lead)),
    ...(patch.payoutAccountId === undefined ? {} : readinessForAccount(patch.payoutAccountId)),
  };
  const row = await db
    .update(vendors)
    .set(set)
    .where(and(eq(vendors.id, id), keepsLeadBelowSla(patch)))
    .returning(vendorShape)
    .get();
  return row ?? null;
}

/** The change leaves the vendor's nudge lead below its SLA, as the row stands when the statement runs. */
function keepsLeadBelowSla(patch: UpdateVendor): SQL {
  const lead = requestedNudgeLeadMinutes(patch);
  return sql`${lead ?? vendors.nudgeLeadMinutes} < ${patch.dispatchSlaHours ?? vendors.dispatchSlaHours} * 60`;
}

/** Each vendor's dispatch SLA in hours: how long it has from seeing an order to dispatching it. */
export async function dispatchSlaHours(db: Db, vendorIds: readonly string[]): Promise<Map<string, number>> {
  const rows = await selectIn(db, vendorIds, (ids) =>
    db.select({ id: vendors.id, hours: vendors.dispatchSlaHours }).from(vendors).where(inArray(vendors.id, ids)),
  );
  return new Map(rows.map((v) => [v.id, v.hours]));
}

/** The ops alert of a vendor suspended while sub-orders still wait on it, and the prefix of its dedupe key. */
export const VENDOR_SUSPENDED_OPEN_ORDERS = "vendor_suspended_open_orders";

/** What waits on a vendor to ship: paid, confirmed or packed, not yet dispatched. */
const OPEN = ["paid", "confirmed", "packed"] as const;

/**
 * Suspends the vendor and, on the transition only, tells ops how many of its sub-orders still wait
 * on it (none: no alert), so they reassign them (`POST /v1/sub-orders/bulk`, `assign`) rather than
 * let shoppers wait until the SLA watcher cancels each at its deadline, up to 720 hours away. The
 * alert is written in the suspension's batch while the vendor is not suspended yet, so suspending
 * an already suspended vendor, or twice at once, alerts once; each later suspension (after a
 * reinstatement) alerts again.
 */
export async function suspendVendor(
  db: Db,
  vendor: { id: string; name: string },
  at: string,
  patch: UpdateVendor = {},
): Promise<void> {
  const open = await db
    .select({ n: sql<number>`count(*)` })
    .from(subOrders)
    .where(and(eq(subOrders.vendorId, vendor.id), inArray(subOrders.status, [...OPEN])))
    .get();
  const count = Number(open?.n ?? 0);
  // Only with the rest of its change (`patch`), which lands only while it keeps the nudge lead below
  // the SLA: a suspension that change cannot carry is not made, nor alerted, either.
  const keeps = keepsLeadBelowSla(patch);
  const notYet = sql`exists (select 1 from ${vendors} where ${vendors.id} = ${vendor.id}
    and ${vendors.status} <> 'suspended' and ${keeps})`;
  const alert = queueOpsAlertWhile(
    db,
    {
      template: VENDOR_SUSPENDED_OPEN_ORDERS,
      // The guard, not the key, makes it once per suspension: a key of its own lets a suspension
      // soon after a reinstatement (within the same second) alert again.
      dedupeKey: `${VENDOR_SUSPENDED_OPEN_ORDERS}:${vendor.id}:${newId("sus")}`,
      text: `Vendor ${vendor.name} (${vendor.id}) was suspended with ${count} open sub-order(s) (paid, confirmed or packed, not yet dispatched). Reassign them to another vendor (POST /v1/sub-orders/bulk, action assign) or cancel them: left with the vendor, each waits until the SLA watcher cancels it at its dispatch deadline. Its earnings are held back from payouts until it is reinstated.`,
      params: { vendorId: vendor.id, vendorName: vendor.name, openSubOrders: count },
      at,
    },
    notYet,
  );
  await runBatch(db, [
    ...(count > 0 ? [alert] : []),
    db
      .update(vendors)
      .set({ status: "suspended" })
      .where(and(eq(vendors.id, vendor.id), keeps)),
  ]);
}
