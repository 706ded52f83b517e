import { and, eq, inArray, sql } from "drizzle-orm";
import { requestedNudgeLeadMinutes, type UpdateVendor, type Vendor } from "../contracts/catalog";
import { selectIn } from "./chunks";
import type { Db } from "./client";
import { type After, afterKey, keyOrder, toPage } from "./paging";
import { readinessForAccount, reportedReadiness } from "./payout-accounts";
import { vendors } from "./schema";

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

export async function updateVendor(db: Db, id: string, patch: UpdateVendor): Promise<Vendor | null> {
  if (Object.keys(patch).length === 0) return findVendor(db, id);
  const { nudgeLeadHours: _hours, nudgeLeadMinutes: _minutes, ...fields } = patch;
  const lead = requestedNudgeLeadMinutes(patch);
  const set = {
    ...fields,
    ...(lead === undefined ? {} : nudgeLead(lead)),
    ...(patch.payoutAccountId === undefined ? {} : readinessForAccount(patch.payoutAccountId)),
  };
  return (await db.update(vendors).set(set).where(eq(vendors.id, id)).returning(vendorShape).get()) ?? null;
}

/** Each vendor's dispatch SLA in hours: how long it has from seeing an order to dispatching it. */
export async function dispatchSlaHours(db: Db, vendorIds: readonly string[]): Promise<Map<string, number>> {
  const rows = await selectIn(db, vendorIds, (ids) =>
    db.select({ id: vendors.id, hours: vendors.dispatchSlaHours }).from(vendors).where(inArray(vendors.id, ids)),
  );
  return new Map(rows.map((v) => [v.id, v.hours]));
}
