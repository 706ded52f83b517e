import { and, eq, exists, gt, isNotNull, isNull, ne, notInArray, or, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { CLOSED_ORDER_STATUSES, GUEST_TOKEN_AFTER_ORDERS_SECONDS } from "../domain/guests";
import type { Principal, Role } from "../domain/principal";
import { addSeconds, isoSeconds } from "../domain/time";
import type { Background } from "../platform/background";
import { SharedLanes } from "../platform/shared-turns";
import type { Db } from "./client";
import { apiTokens, orders } from "./schema";

// D1 statements, not drizzle queries: every request whose token the isolate has not seen in the
// cache's 30 s reads it, a shopper's checkout included (see checkout-reads.ts for why raw SQL there).
const LIVE_TOKEN = `select id, role, vendor_id as vendorId, customer_id as customerId, expires_at as expiresAt
  from api_tokens where token_hash = ?1 and revoked_at is null`;
const LIVE_TOKENS = `select token_hash as tokenHash, id, role, vendor_id as vendorId, customer_id as customerId,
  expires_at as expiresAt
  from api_tokens where token_hash in (select value from json_each(?1)) and revoked_at is null`;

type LiveToken = Pick<typeof apiTokens.$inferSelect, "id" | "role" | "vendorId" | "customerId" | "expiresAt">;

// A flash sale is thousands of shoppers the isolate has not seen yet, each a token to read at once.
// The lookups waiting at the same moment share one statement (platform/shared-turns): one D1 round
// trip for the group instead of one per shopper. A quiet isolate's lone lookup goes as it did.
const MAX_TOKENS_PER_READ = 256;
const lookups = new SharedLanes<D1Database, string, LiveToken | null>((d1) => ({
  together: async (hashes) => {
    const { results } = await d1
      .prepare(LIVE_TOKENS)
      .bind(JSON.stringify(hashes))
      .all<LiveToken & { tokenHash: string }>();
    const byHash = new Map(results.map(({ tokenHash, ...row }) => [tokenHash, row]));
    return hashes.map((h) => byHash.get(h) ?? null);
  },
  alone: (hash) => d1.prepare(LIVE_TOKEN).bind(hash).first<LiveToken>(),
  weight: () => 1,
  maxWeight: MAX_TOKENS_PER_READ,
}));

/**
 * The principal of a live token: not revoked, and not a guest's token past its expiry (see
 * keptByOrders). `background` holds the request open while its lookup waits on a shared one.
 */
export async function findPrincipalByTokenHash(
  db: Db,
  tokenHash: string,
  now: Date,
  background?: Background,
): Promise<Principal | null> {
  const row = await lookups.call(db.$client, "tokens", tokenHash, background);
  if (!row) return null;
  if (await expired(row, now, (customerId) => keptByOrders(db, customerId, now))) return null;
  return toPrincipal(row);
}

/**
 * Whether a token not revoked is past its life at `now`: its expiry has passed and it is not a
 * guest's kept by its orders (`kept`, asked only then). The API's rule, and the live feeds'.
 */
async function expired(
  row: Pick<LiveToken, "expiresAt" | "customerId">,
  now: Date,
  kept: (customerId: string) => boolean | Promise<boolean>,
): Promise<boolean> {
  if (row.expiresAt === null || row.expiresAt > isoSeconds(now)) return false;
  return row.customerId === null || !(await kept(row.customerId));
}

/**
 * A guest who ordered keeps its token while any of its orders is open and for a while after the
 * last one it paid for changed, so it can follow a delivery or a refund: the orders of
 * `customerId` that do. An order never paid, once closed, keeps nothing: one abandoned checkout
 * (its hold lapses and cancels it) would otherwise keep a guest token for a month. Paid is money
 * taken: a payment landing after its hold lapsed, or after a cancel, is refunded and the order
 * cancelled without `paid_at`, but its payment status leaves `unpaid` (a failed attempt's never does).
 */
function keepingOrders(customerId: string | SQLiteColumn, now: Date): SQL | undefined {
  const since = isoSeconds(addSeconds(now, -GUEST_TOKEN_AFTER_ORDERS_SECONDS));
  return and(
    eq(orders.customerId, customerId),
    or(
      notInArray(orders.status, [...CLOSED_ORDER_STATUSES]),
      and(gt(orders.updatedAt, since), or(isNotNull(orders.paidAt), ne(orders.paymentStatus, "unpaid"))),
    ),
  );
}

/** Read only for tokens past their expiry. */
async function keptByOrders(db: Db, customerId: string, now: Date): Promise<boolean> {
  const row = await db.select({ id: orders.id }).from(orders).where(keepingOrders(customerId, now)).limit(1).get();
  return row !== undefined;
}

function toPrincipal(row: LiveToken): Principal | null {
  switch (row.role) {
    case "vendor":
      return row.vendorId ? { role: "vendor", tokenId: row.id, vendorId: row.vendorId } : null;
    case "customer":
      return row.customerId ? { role: "customer", tokenId: row.id, customerId: row.customerId } : null;
    default:
      return { role: row.role, tokenId: row.id };
  }
}

export function insertToken(
  db: Db,
  token: {
    id: string;
    tokenHash: string;
    role: Role;
    vendorId?: string;
    customerId?: string;
    createdAt: string;
    expiresAt?: string;
  },
) {
  return db.insert(apiTokens).values({
    id: token.id,
    tokenHash: token.tokenHash,
    role: token.role,
    vendorId: token.vendorId ?? null,
    customerId: token.customerId ?? null,
    createdAt: token.createdAt,
    expiresAt: token.expiresAt ?? null,
  });
}

export async function revokeToken(db: Db, id: string, at: string): Promise<string | null> {
  const row = await db
    .update(apiTokens)
    .set({ revokedAt: at })
    .where(and(eq(apiTokens.id, id), isNull(apiTokens.revokedAt)))
    .returning({ tokenHash: apiTokens.tokenHash })
    .get();
  return row?.tokenHash ?? null;
}

/** Why the API no longer accepts a token. */
export type TokenEnd = "revoked" | "expired";

/**
 * Of these token ids, those the API no longer accepts at `now`, and why: revoked, or expired by the
 * rule findPrincipalByTokenHash applies (a guest's orders read in the same statement). One statement
 * however many ids: they travel as one JSON parameter.
 */
export async function endedTokens(db: Db, ids: readonly string[], now: Date): Promise<Map<string, TokenEnd>> {
  if (ids.length === 0) return new Map();
  const keeping = db.select({ one: sql`1` }).from(orders).where(keepingOrders(apiTokens.customerId, now));
  const rows = await db
    .select({
      id: apiTokens.id,
      revokedAt: apiTokens.revokedAt,
      expiresAt: apiTokens.expiresAt,
      customerId: apiTokens.customerId,
      kept: sql<number>`${exists(keeping)}`,
    })
    .from(apiTokens)
    .where(sql`${apiTokens.id} in (select value from json_each(${JSON.stringify([...new Set(ids)])}))`);
  const ended = new Map<string, TokenEnd>();
  for (const r of rows) {
    if (r.revokedAt !== null) ended.set(r.id, "revoked");
    else if (await expired(r, now, () => r.kept === 1)) ended.set(r.id, "expired");
  }
  return ended;
}
