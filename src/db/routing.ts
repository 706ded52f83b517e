import { and, asc, count, desc, eq, getTableColumns, inArray, isNull, type SQL, sql } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import { DEFAULT_WEIGHTS, type RoutingWeights } from "../domain/routing/weights";
import { selectIn } from "./chunks";
import type { Db, Statement } from "./client";
import {
  products,
  rateCards,
  reassignments,
  routingDecisions,
  routingWeights,
  skus,
  vendorScores,
  vendors,
  warehouses,
} from "./schema";
import { vendorSellingStatus, vendorSells } from "./vendor-live";

/** An offer as routing reads it: the SKU with its vendor's terms. */
export type OfferRow = {
  skuId: string;
  productId: string;
  vendorId: string;
  priceMinor: number;
  currency: string;
  weightGrams: number;
  skuStatus: string;
  vendorStatus: string;
  dispatchSlaHours: number;
  hourlyCapacity: number;
  commissionBps: number;
  /** A flash sale's cap on units per customer, under the global one; null when none. */
  saleMaxUnitsPerCustomer: number | null;
};
export type SiteRow = { warehouseId: string; vendorId: string; lat: number; lng: number };

const offerColumns = {
  skuId: skus.id,
  productId: skus.productId,
  vendorId: skus.vendorId,
  priceMinor: skus.priceMinor,
  currency: skus.currency,
  weightGrams: skus.weightGrams,
  // Aliased: D1 batches return rows keyed by column name, and both tables have `status`.
  skuStatus: sql<string>`${skus.status}`.as("sku_status"),
  vendorStatus: vendorSellingStatus.as("vendor_status"),
  dispatchSlaHours: vendors.dispatchSlaHours,
  hourlyCapacity: vendors.hourlyCapacity,
  commissionBps: vendors.commissionBps,
  saleMaxUnitsPerCustomer: skus.saleMaxUnitsPerCustomer,
};
const siteColumns = {
  warehouseId: warehouses.id,
  vendorId: warehouses.vendorId,
  lat: warehouses.lat,
  lng: warehouses.lng,
};

/**
 * The named SKUs (whatever their status: checkout refuses inactive ones itself), every active offer
 * of the named products from active vendors, every SKU of the named products with its barcode
 * (whatever its status: which offers are one item, `oneItem`), the products that exist, and the
 * active warehouses of every vendor involved. One round trip; each id list is at most 50 long (the
 * cart limit).
 */
export async function readOffers(db: Db, skuIds: readonly string[], productIds: readonly string[]) {
  const none = [""];
  const skuList = skuIds.length > 0 ? [...skuIds] : none;
  const productList = productIds.length > 0 ? [...productIds] : none;
  const [named, offered, productSkus, known, namedSites, offeredSites] = await db.batch([
    db
      .select(offerColumns)
      .from(skus)
      .innerJoin(vendors, eq(vendors.id, skus.vendorId))
      .where(inArray(skus.id, skuList)),
    db
      .select(offerColumns)
      .from(skus)
      .innerJoin(vendors, eq(vendors.id, skus.vendorId))
      .where(and(inArray(skus.productId, productList), eq(skus.status, "active"), vendorSells)),
    db
      .select({ skuId: skus.id, vendorId: skus.vendorId, productId: skus.productId, barcode: skus.barcode })
      .from(skus)
      .where(inArray(skus.productId, productList)),
    db.select({ id: products.id }).from(products).where(inArray(products.id, productList)),
    db
      .select(siteColumns)
      .from(warehouses)
      .where(
        and(
          eq(warehouses.status, "active"),
          inArray(warehouses.vendorId, db.select({ v: skus.vendorId }).from(skus).where(inArray(skus.id, skuList))),
        ),
      ),
    db
      .select(siteColumns)
      .from(warehouses)
      .where(
        and(
          eq(warehouses.status, "active"),
          inArray(
            warehouses.vendorId,
            db.select({ v: skus.vendorId }).from(skus).where(inArray(skus.productId, productList)),
          ),
        ),
      ),
  ]);
  const sites = new Map<string, SiteRow>();
  for (const s of [...namedSites, ...offeredSites]) sites.set(s.warehouseId, s);
  return {
    named: named as OfferRow[],
    offered: offered as OfferRow[],
    productSkus,
    products: new Set(known.map((p) => p.id)),
    sites: [...sites.values()],
  };
}

export type VendorScoreRow = typeof vendorScores.$inferSelect;
export type RateCardRow = typeof rateCards.$inferSelect;
export type WeightsRow = { version: number; weights: RoutingWeights; changes: unknown; createdAt: string };

function toWeightsRow(r: typeof routingWeights.$inferSelect): WeightsRow {
  return {
    version: r.version,
    weights: { ...DEFAULT_WEIGHTS, ...(r.weights as Partial<RoutingWeights>) },
    changes: r.changes,
    createdAt: r.createdAt,
  };
}

/** The latest weights, every vendor score and every rate card: small tables, read whole. */
export async function readRoutingModel(db: Db, now: string) {
  const read = () =>
    db.batch([
      db.select().from(routingWeights).orderBy(desc(routingWeights.version)).limit(1),
      db.select().from(vendorScores),
      db.select().from(rateCards),
    ]);
  let [weights, scores, cards] = await read();
  if (!weights[0]) {
    // Version 1 is the defaults, written on first use. Explicit, so racing isolates write it once.
    await db
      .insert(routingWeights)
      .values({ version: 1, weights: DEFAULT_WEIGHTS, changes: { reason: "defaults" }, createdAt: now })
      .onConflictDoNothing();
    [weights, scores, cards] = await read();
  }
  return { weights: toWeightsRow(weights[0]!), scores, cards };
}

export async function latestWeights(db: Db): Promise<WeightsRow | null> {
  const row = await db.select().from(routingWeights).orderBy(desc(routingWeights.version)).limit(1).get();
  return row ? toWeightsRow(row) : null;
}

/**
 * Where the weights' learning has got to: the newest `learnedThrough` a re-fit recorded in its
 * version's `changes` (every re-fit version carries it, a hand-set version does not). Null before
 * any re-fit recorded one.
 */
export async function learnedThrough(db: Db): Promise<string | null> {
  const at = sql<string | null>`json_extract(${routingWeights.changes}, '$.learnedThrough')`;
  const row = await db
    .select({ at })
    .from(routingWeights)
    .where(sql`${at} is not null`)
    .orderBy(desc(routingWeights.version))
    .limit(1)
    .get();
  return row?.at ?? null;
}

export async function weightsHistory(db: Db, limit: number): Promise<WeightsRow[]> {
  const rows = await db.select().from(routingWeights).orderBy(desc(routingWeights.version)).limit(limit);
  return rows.map(toWeightsRow);
}

export function insertWeights(db: Db, row: { weights: RoutingWeights; changes: unknown; createdAt: string }) {
  return db.insert(routingWeights).values(row).returning({ version: routingWeights.version });
}

/** While `read` (null: none) is still the latest weights version. */
const latestVersionIs = (read: number | null) =>
  sql`(select max(${routingWeights.version}) from ${routingWeights}) is ${read}`;

/** `row`, every column of `table` in order, as an INSERT's SELECT: one row while `guard` holds, none else. */
function rowWhile(table: SQLiteTable, row: Record<string, unknown>, guard: SQL) {
  const values = Object.entries(getTableColumns(table)).map(([key, column]) => sql.param(row[key], column));
  return sql`select ${sql.join(values, sql`, `)} where ${guard}`;
}

/**
 * A re-fit's weights as the version after `read`, the latest it read (null: none), written only while
 * that is still the latest: the re-fit nudged `read`'s weights, so written over a version set since
 * (an admin's edit) they would silently undo it. Returns the version written; none if it was not.
 */
export function insertWeightsAfter(
  db: Db,
  read: number | null,
  row: { weights: RoutingWeights; changes: unknown; createdAt: string },
) {
  return db
    .insert(routingWeights)
    .select(rowWhile(routingWeights, { version: (read ?? 0) + 1, ...row }, latestVersionIs(read)))
    .returning({ version: routingWeights.version });
}

export function insertRoutingDecision(
  db: Db,
  row: { orderId: string; weightsVersion: number; explanation: unknown; createdAt: string },
): Statement {
  return db.insert(routingDecisions).values(row).onConflictDoNothing();
}

// ---- rate cards ------------------------------------------------------------------------------

export async function listRateCards(db: Db, vendorId: string | null | undefined) {
  const where =
    vendorId === undefined
      ? undefined
      : vendorId === null
        ? isNull(rateCards.vendorId)
        : eq(rateCards.vendorId, vendorId);
  return db
    .select()
    .from(rateCards)
    .where(where)
    .orderBy(asc(rateCards.vendorId), asc(rateCards.maxKm), asc(rateCards.maxWeightGrams), asc(rateCards.id));
}

export async function insertRateCard(db: Db, row: RateCardRow) {
  await db.insert(rateCards).values(row);
  return row;
}

export async function deleteRateCard(db: Db, id: string): Promise<boolean> {
  const gone = await db.delete(rateCards).where(eq(rateCards.id, id)).returning({ id: rateCards.id });
  return gone.length > 0;
}

// ---- vendor scores ---------------------------------------------------------------------------

export async function listVendorScores(db: Db) {
  return db.select().from(vendorScores).orderBy(asc(vendorScores.vendorId));
}

export function upsertVendorScore(db: Db, row: VendorScoreRow) {
  const { vendorId: _, ...changes } = row;
  return db.insert(vendorScores).values(row).onConflictDoUpdate({ target: vendorScores.vendorId, set: changes });
}

/** A re-fit's score of a vendor, pinned to the version `insertWeightsAfter` writes after `read` and only with it. */
export function upsertVendorScoreAfter(db: Db, read: number | null, score: Omit<VendorScoreRow, "weightsVersion">) {
  const row: VendorScoreRow = { ...score, weightsVersion: (read ?? 0) + 1 };
  const { vendorId: _, ...changes } = row;
  return db
    .insert(vendorScores)
    .select(rowWhile(vendorScores, row, latestVersionIs(read)))
    .onConflictDoUpdate({ target: vendorScores.vendorId, set: changes });
}

// ---- outcomes, for the re-fit ----------------------------------------------------------------

/** An outcome as the re-fit reads it: a decided sub-order, its vendor's SLA and its order's routing decision. */
export type OutcomeRow = {
  subOrderId: string;
  orderId: string;
  vendorId: string;
  status: string;
  slaDispatchBy: string | null;
  slaStartedAt: string | null;
  dispatchedAt: string | null;
  deliveredAt: string | null;
  cancelledAt: string | null;
  promisedDeliveryBy: string | null;
  cancellationReason: string | null;
  slaHours: number;
  vendorCancelled: number;
  /** The order's routing decision, parsed; null when none was recorded. */
  explanation: unknown;
};

const MS_PER_DAY = 86_400_000;
/** Bounds compared as Julian days a second wider than asked: stamps with and without milliseconds meet. */
const SLACK_DAYS = 1_000 / MS_PER_DAY;

/**
 * Sub-orders created since `since` whose vendor's part was decided in (`after`, `until`], newest
 * decided first, at most `limit`, each with its order's routing decision (one statement: no id
 * list to chunk). When a sub-order is decided is the re-fit's rule: a dispatched parcel promised a
 * date `deliveryWaitMs` past it, one promised nothing when dispatched, a cancel before dispatch when
 * cancelled. Read by that time, not by creation: a parcel decided now was created days ago, behind
 * every parcel dispatched since. The caller checks the bounds again exactly. The window is scanned
 * whole (no index holds the decided time): `cross join` keeps SQLite's join order with vendors
 * outside, so each vendor's window is one range of `sub_orders_vendor_created`, not a scan of every
 * sub-order ever written.
 */
export async function readDecidedOutcomes(
  db: Db,
  window: { since: string; after: string; until: string; deliveryWaitMs: number; limit: number },
): Promise<OutcomeRow[]> {
  // The newest are picked on the sub-orders' own columns first, so the sort holds no decisions.
  const rows = await db.all<Omit<OutcomeRow, "explanation"> & { explanation: string | null }>(sql`
    with picked as (
      select id, decidedDay from (
        select s.id as id,
          case
            when s.dispatched_at is null then case when s.status = 'cancelled' then julianday(s.cancelled_at) end
            when s.promised_delivery_by is not null
              then julianday(s.promised_delivery_by) + ${window.deliveryWaitMs / MS_PER_DAY}
            else julianday(s.dispatched_at)
          end as decidedDay
        from vendors v
        cross join sub_orders s on s.vendor_id = v.id
        where s.created_at >= ${window.since} and (s.dispatched_at is not null or s.status = 'cancelled')
      )
      where decidedDay > julianday(${window.after}) - ${SLACK_DAYS}
        and decidedDay <= julianday(${window.until}) + ${SLACK_DAYS}
      order by decidedDay desc, id
      limit ${window.limit}
    )
    select s.id as subOrderId, s.order_id as orderId, s.vendor_id as vendorId, s.status as status,
      s.sla_dispatch_by as slaDispatchBy, s.sla_started_at as slaStartedAt, s.dispatched_at as dispatchedAt,
      s.delivered_at as deliveredAt, s.cancelled_at as cancelledAt, s.promised_delivery_by as promisedDeliveryBy,
      s.cancellation_reason as cancellationReason, v.dispatch_sla_hours as slaHours,
      case when s.status = 'cancelled' then exists (
        select 1 from order_events e
        where e.order_id = s.order_id and e.sub_order_id = s.id and e.type = 'sub_order.cancelled'
          and e.actor_role = 'vendor'
      ) else 0 end as vendorCancelled,
      d.explanation as explanation
    from picked p
    join sub_orders s on s.id = p.id
    join vendors v on v.id = s.vendor_id
    left join routing_decisions d on d.order_id = s.order_id
    order by p.decidedDay desc, p.id
  `);

  return rows.map(({ explanation, ...r }) => ({
    ...r,
    explanation: explanation === null ? null : JSON.parse(explanation),
  }));
}

/**
 * Per vendor, what its sub-orders created since `since` and dispatched or cancelled add up to, as
 * the vendor score counts them: `decided` (dispatched against a deadline, breached or cancelled by
 * the vendor), `good` (dispatched by the deadline and not delivered after the promise), breaches,
 * the vendor's own cancels, and the dispatch time of the decided ones (from the SLA clock's start:
 * `sla_started_at`, else the deadline less the vendor's SLA now). Summed in one statement however
 * many sub-orders the window holds, one row per vendor, each vendor's window a range of
 * `sub_orders_vendor_created` (`cross join` keeps vendors the outer loop).
 */
export async function vendorOutcomeTotals(db: Db, since: string, breachReason: string) {
  const rows = await db.all<{
    vendorId: string;
    outcomes: number;
    decided: number;
    good: number | null;
    breached: number | null;
    vendorCancelled: number | null;
    dispatchMs: number | null;
    dispatches: number;
  }>(sql`
    select vendorId, count(*) as outcomes, sum(decided) as decided, sum(onTime = 1 and not deliveredLate) as good,
      sum(breached) as breached, sum(vendorCancelled) as vendorCancelled,
      sum(case when decided then dispatchMs end) as dispatchMs,
      count(case when decided then dispatchMs end) as dispatches
    from (
      select vendorId, onTime, deliveredLate, breached, vendorCancelled, dispatchMs,
        (onTime is not null or breached or vendorCancelled) as decided
      from (
        select s.vendor_id as vendorId,
          case when s.dispatched_at is not null and s.sla_dispatch_by is not null
            then julianday(s.dispatched_at) <= julianday(s.sla_dispatch_by) end as onTime,
          coalesce(julianday(s.delivered_at) > julianday(s.promised_delivery_by), 0) as deliveredLate,
          (s.status = 'cancelled' and coalesce(s.cancellation_reason = ${breachReason}, 0)) as breached,
          case when s.status = 'cancelled' then exists (
            select 1 from order_events e
            where e.order_id = s.order_id and e.sub_order_id = s.id and e.type = 'sub_order.cancelled'
            and e.actor_role = 'vendor'
          ) else 0 end as vendorCancelled,
          case when s.dispatched_at is not null and coalesce(s.sla_started_at, s.sla_dispatch_by) is not null
            then max(0, round((julianday(s.dispatched_at) - coalesce(
              julianday(s.sla_started_at), julianday(s.sla_dispatch_by) - v.dispatch_sla_hours / 24.0
            )) * ${MS_PER_DAY})) end as dispatchMs
        from vendors v
        cross join sub_orders s on s.vendor_id = v.id
        where s.created_at >= ${since} and (s.dispatched_at is not null or s.status = 'cancelled')
      )
    )
    group by vendorId
    order by vendorId
  `);
  return rows.map((r) => ({
    vendorId: r.vendorId,
    outcomes: r.outcomes,
    decided: r.decided ?? 0,
    good: r.good ?? 0,
    breached: r.breached ?? 0,
    vendorCancelled: r.vendorCancelled ?? 0,
    dispatchMs: r.dispatchMs ?? 0,
    dispatches: r.dispatches,
  }));
}

// ---- overrides -------------------------------------------------------------------------------

export async function countReassignments(db: Db, orderId: string): Promise<number> {
  const row = await db.select({ n: count() }).from(reassignments).where(eq(reassignments.orderId, orderId)).get();
  return row?.n ?? 0;
}

export async function findReassignment(db: Db, id: string) {
  return db.select().from(reassignments).where(eq(reassignments.id, id)).get();
}

export function insertReassignment(db: Db, row: typeof reassignments.$inferInsert) {
  return db.insert(reassignments).values(row);
}

/** SKUs with their product, price, weight and vendor terms, by id. */
export async function offersByIds(db: Db, skuIds: readonly string[]): Promise<OfferRow[]> {
  return (await selectIn(db, skuIds, (ids) =>
    db.select(offerColumns).from(skus).innerJoin(vendors, eq(vendors.id, skus.vendorId)).where(inArray(skus.id, ids)),
  )) as OfferRow[];
}

/** Active offers of these products sold by `vendorId` (or by anyone when null), by SKU id. */
export async function activeOffersOf(
  db: Db,
  productIds: readonly string[],
  vendorId: string | null,
): Promise<OfferRow[]> {
  const rows = (await selectIn(db, productIds, (ids) =>
    db
      .select(offerColumns)
      .from(skus)
      .innerJoin(vendors, eq(vendors.id, skus.vendorId))
      .where(
        and(
          inArray(skus.productId, ids),
          eq(skus.status, "active"),
          vendorSells,
          vendorId ? eq(skus.vendorId, vendorId) : undefined,
        ),
      ),
  )) as OfferRow[];
  return rows.sort((a, b) => (a.skuId < b.skuId ? -1 : a.skuId > b.skuId ? 1 : 0));
}

/**
 * The most SKUs (of any status) one vendor lists of each of `productIds`: above 1, the product has
 * variants (sizes, colours). A product no vendor lists is absent.
 */
export async function mostSkusPerVendor(db: Db, productIds: readonly string[]): Promise<Map<string, number>> {
  const rows = await selectIn(db, productIds, (ids) =>
    db
      .select({ productId: skus.productId, n: count() })
      .from(skus)
      .where(inArray(skus.productId, ids))
      .groupBy(skus.vendorId, skus.productId),
  );
  const most = new Map<string, number>();
  for (const r of rows) most.set(r.productId, Math.max(most.get(r.productId) ?? 0, r.n));
  return most;
}

export async function sitesOf(db: Db, vendorIds: readonly string[]): Promise<SiteRow[]> {
  return selectIn(db, vendorIds, (ids) =>
    db
      .select(siteColumns)
      .from(warehouses)
      .where(and(inArray(warehouses.vendorId, ids), eq(warehouses.status, "active"))),
  );
}

export async function findSite(db: Db, warehouseId: string) {
  return db
    .select({ ...siteColumns, status: warehouses.status })
    .from(warehouses)
    .where(eq(warehouses.id, warehouseId))
    .get();
}

export async function findVendorTerms(db: Db, vendorId: string) {
  return db
    .select({
      id: vendors.id,
      status: vendors.status,
      dispatchSlaHours: vendors.dispatchSlaHours,
      hourlyCapacity: vendors.hourlyCapacity,
      commissionBps: vendors.commissionBps,
    })
    .from(vendors)
    .where(eq(vendors.id, vendorId))
    .get();
}

/** Warehouses by id whatever their status (a line may sit in one closed since): where parcels leave from. */
export async function warehouseSites(db: Db, ids: readonly string[]): Promise<SiteRow[]> {
  return selectIn(db, ids, (chunk) => db.select(siteColumns).from(warehouses).where(inArray(warehouses.id, chunk)));
}
