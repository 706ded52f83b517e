import type { Background } from "../platform/background";
import type { IdempotencyRow } from "./checkout-writes";
import type { Db } from "./client";
import { sharedBatch } from "./shared-batch";
import { VENDOR_SELLING_STATUS_SQL } from "./vendor-live";
import { loadsFrom, VENDOR_LOADS, vendorLoadParams } from "./vendor-loads";

// Checkout's reads, written as D1 statements rather than drizzle queries: they run on every
// accepted order, and building drizzle queries and mapping their rows was a fifth of the Worker's
// CPU per checkout in the V8 profile (README, "Performance: where a checkout's time goes"). The SQL
// is constant, rows come back under the names the callers read (aliases), and variable-length
// lists are one JSON parameter (json_each), so D1's 100-parameter limit never needs chunking.

const IDEMPOTENT_RESPONSE = `select scope, "key", request_hash as requestHash, response_status as responseStatus,
  response_body as responseBody, created_at as createdAt, expires_at as expiresAt
  from idempotency_keys where scope = ?1 and "key" = ?2`;

// Both statuses aliased: D1 keys a row's values by column name, and both tables call theirs `status`.
const SALE_ROWS = `select skus.id as skuId, skus.vendor_id as vendorId, skus.price_minor as priceMinor,
  skus.currency as currency, skus.status as skuStatus, ${VENDOR_SELLING_STATUS_SQL} as vendorStatus,
  vendors.commission_bps as commissionBps
  from skus inner join vendors on vendors.id = skus.vendor_id
  where skus.id in (select value from json_each(?1))`;

// Exported for its query-plan test: it must read only the customer's own rows, whatever else the
// marketplace holds (the vendors' loads are in vendor-loads.ts, under the same test).
export const OPEN_HOLDS = `select count(*) as "open", min(hold_expires_at) as earliest from orders
  where customer_id = ?1 and status = 'pending_payment' and hold_expires_at > ?2`;

type SaleRow = {
  skuId: string;
  vendorId: string;
  priceMinor: number;
  currency: string;
  skuStatus: string;
  vendorStatus: string;
  commissionBps: number;
};

/**
 * Everything checkout must know once it holds the stock, read in one round trip (shared with the
 * checkouts reading at the same moment): with the hourly load of the vendors it reserved from
 * (sub-orders this clock hour, not cancelled, other orders).
 */
export async function readCheckoutContext(
  db: Db,
  input: {
    scope: string;
    key: string;
    customerId: string;
    skuIds: string[];
    now: string;
    orderId: string;
    vendorIds: string[];
    at: Date;
  },
  background?: Background,
) {
  const d1 = db.$client;
  const [idem, skuRows, holds, loadRows] = await sharedBatch(
    d1,
    "checkout-reads",
    [
      d1.prepare(IDEMPOTENT_RESPONSE).bind(input.scope, input.key),
      d1.prepare(SALE_ROWS).bind(JSON.stringify(input.skuIds)),
      d1.prepare(OPEN_HOLDS).bind(input.customerId, input.now),
      d1.prepare(VENDOR_LOADS).bind(...vendorLoadParams(input.vendorIds, input.at, input.orderId)),
    ],
    background,
  );
  const loads = loadsFrom(input.vendorIds, loadRows!.results as { vendorId: string; n: number }[]);
  const open = (holds!.results as { open: number; earliest: string | null }[])[0];
  return {
    idempotent: (idem!.results as IdempotencyRow[])[0],
    skus: skuRows!.results as SaleRow[],
    openHolds: open ?? { open: 0, earliest: null },
    loads,
  };
}

/** The answer stored under this idempotency key, if any. */
export async function findIdempotentResponse(db: Db, scope: string, key: string) {
  return (await db.$client.prepare(IDEMPOTENT_RESPONSE).bind(scope, key).first<IdempotencyRow>()) ?? undefined;
}
