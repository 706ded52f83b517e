import type { Background } from "../platform/background";
import { SharedLanes } from "../platform/shared-turns";
import type { IdempotencyRow } from "./checkout-writes";
import type { Db } from "./client";
import { VENDOR_SELLING_STATUS_SQL } from "./vendor-live";
import { loadsFrom, VENDOR_LOADS, vendorLoadsAsked } from "./vendor-loads";

// Checkout's reads, written as D1 statements rather than drizzle queries: they run on every
// accepted order, and building drizzle queries and mapping their rows was a fifth of the Worker's
// CPU per checkout in the V8 profile (README, "Performance: where a checkout's time goes"). The SQL
// is constant, rows come back under the names the callers read (aliases), and variable-length
// lists are one JSON parameter (json_each), so D1's 100-parameter limit never needs chunking.
// The checkouts reading at the same moment in an isolate ask together: each statement takes every
// one of them in its JSON list, and answers each row under its asker's index `i` in that list.

// Exported for its query-plan test (as OPEN_HOLDS is): each asker's key found by the primary key.
export const IDEMPOTENT_RESPONSES = `select r.key as i, k.scope as scope, k."key" as "key", k.request_hash as requestHash,
  k.response_status as responseStatus, k.response_body as responseBody, k.created_at as createdAt,
  k.expires_at as expiresAt
  from json_each(?1) r
  join idempotency_keys k on k.scope = r.value ->> 'scope' and k."key" = r.value ->> 'key'`;

// Both statuses aliased: D1 keys a row's values by column name, and both tables call theirs `status`.
const SALE_ROWS = `select skus.id as skuId, skus.vendor_id as vendorId, skus.price_minor as priceMinor,
  skus.currency as currency, skus.status as skuStatus, ${VENDOR_SELLING_STATUS_SQL} as vendorStatus,
  vendors.commission_bps as commissionBps
  from skus inner join vendors on vendors.id = skus.vendor_id
  where skus.id in (select value from json_each(?1))`;

// It must read only each customer's own rows, whatever else the marketplace holds (the vendors'
// loads are in vendor-loads.ts, under the same test).
export const OPEN_HOLDS = `select r.key as i, (
    select count(*) from orders o where o.customer_id = r.value ->> 'customerId'
      and o.status = 'pending_payment' and o.hold_expires_at > r.value ->> 'now'
  ) as "open", (
    select min(o.hold_expires_at) from orders o where o.customer_id = r.value ->> 'customerId'
      and o.status = 'pending_payment' and o.hold_expires_at > r.value ->> 'now'
  ) as earliest
  from json_each(?1) r`;

type SaleRow = {
  skuId: string;
  vendorId: string;
  priceMinor: number;
  currency: string;
  skuStatus: string;
  vendorStatus: string;
  commissionBps: number;
};

export type CheckoutContextInput = {
  scope: string;
  key: string;
  customerId: string;
  skuIds: string[];
  now: string;
  orderId: string;
  vendorIds: string[];
  at: Date;
};

type CheckoutContext = {
  idempotent: IdempotencyRow | undefined;
  skus: SaleRow[];
  openHolds: { open: number; earliest: string | null };
  loads: Map<string, number>;
};

/** Rows answered under their asker's index `i`, grouped by asker. */
function byAsker<T>(rows: unknown[], askers: number): T[][] {
  const each: T[][] = Array.from({ length: askers }, () => []);
  for (const { i, ...row } of rows as ({ i: number } & T)[]) each[i]!.push(row as T);
  return each;
}

/** The contexts of `inputs`, in their order, in one batch of four statements. */
async function readContexts(d1: D1Database, inputs: CheckoutContextInput[]): Promise<CheckoutContext[]> {
  const json = (f: (input: CheckoutContextInput) => unknown) => JSON.stringify(inputs.map(f));
  const [idem, skuRows, holds, loadRows] = await d1.batch([
    d1.prepare(IDEMPOTENT_RESPONSES).bind(json((x) => ({ scope: x.scope, key: x.key }))),
    d1.prepare(SALE_ROWS).bind(JSON.stringify([...new Set(inputs.flatMap((x) => x.skuIds))])),
    d1.prepare(OPEN_HOLDS).bind(json((x) => ({ customerId: x.customerId, now: x.now }))),
    d1.prepare(VENDOR_LOADS).bind(json((x) => vendorLoadsAsked(x.vendorIds, x.at, x.orderId))),
  ]);
  const idempotent = byAsker<IdempotencyRow>(idem!.results, inputs.length);
  const open = byAsker<{ open: number; earliest: string | null }>(holds!.results, inputs.length);
  const loads = byAsker<{ vendorId: string; n: number }>(loadRows!.results, inputs.length);
  const sale = new Map((skuRows!.results as SaleRow[]).map((row) => [row.skuId, row]));
  return inputs.map((x, i) => ({
    idempotent: idempotent[i]![0],
    skus: x.skuIds.flatMap((skuId) => sale.get(skuId) ?? []),
    openHolds: open[i]![0] ?? { open: 0, earliest: null },
    loads: loadsFrom(x.vendorIds, loads[i]!),
  }));
}

/**
 * At most this many SKUs and vendors between the checkouts reading together (a checkout with more
 * reads alone): keeps each JSON parameter far below D1's 2 MB per value.
 */
const SHARED_READ_MAX_ITEMS = 256;

const reads = new SharedLanes<D1Database, CheckoutContextInput, CheckoutContext>((d1) => ({
  together: (inputs) => readContexts(d1, inputs),
  alone: async (input) => (await readContexts(d1, [input]))[0]!,
  weight: (input) => 1 + input.skuIds.length + input.vendorIds.length,
  maxWeight: SHARED_READ_MAX_ITEMS,
}));

/**
 * Everything checkout must know once it holds the stock, read in one round trip and four
 * statements shared with the checkouts reading at the same moment (platform/shared-turns): with
 * the hourly load of the vendors it reserved from (sub-orders this clock hour, not cancelled,
 * other orders).
 */
export function readCheckoutContext(
  db: Db,
  input: CheckoutContextInput,
  background?: Background,
): Promise<CheckoutContext> {
  return reads.call(db.$client, "checkout-reads", input, background);
}

/** The answer stored under this idempotency key, if any: IDEMPOTENT_RESPONSES asked for one. */
export async function findIdempotentResponse(db: Db, scope: string, key: string) {
  const { results } = await db.$client
    .prepare(IDEMPOTENT_RESPONSES)
    .bind(JSON.stringify([{ scope, key }]))
    .all();
  return byAsker<IdempotencyRow>(results, 1)[0]![0];
}
