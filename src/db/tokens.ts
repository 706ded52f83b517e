import { and, eq, gt, inArray, isNotNull, isNull, notInArray, or } from "drizzle-orm";
import { CLOSED_ORDER_STATUSES, GUEST_TOKEN_AFTER_ORDERS_SECONDS } from "../domain/guests";
import type { Principal, Role } from "../domain/principal";
import { addSeconds, isoSeconds } from "../domain/time";
import type { Background } from "../platform/background";
import { SharedLanes } from "../platform/shared-turns";
import { selectIn } from "./chunks";
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
  if (row.expiresAt !== null && row.expiresAt <= isoSeconds(now)) {
    if (!row.customerId || !(await keptByOrders(db, row.customerId, now))) return null;
  }
  return toPrincipal(row);
}

/**
 * A guest who ordered keeps its token while any of its orders is open and for a while after the
 * last one changed, so it can follow a delivery or a refund. Read only for tokens past their expiry.
 */
async function keptByOrders(db: Db, customerId: string, now: Date): Promise<boolean> {
  const since = isoSeconds(addSeconds(now, -GUEST_TOKEN_AFTER_ORDERS_SECONDS));
  const row = await db
    .select({ id: orders.id })
    .from(orders)
    .where(
      and(
        eq(orders.customerId, customerId),
        or(notInArray(orders.status, [...CLOSED_ORDER_STATUSES]), gt(orders.updatedAt, since)),
      ),
    )
    .limit(1)
    .get();
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

/** Of these token ids, those revoked. */
export async function revokedTokenIds(db: Db, ids: string[]): Promise<string[]> {
  const rows = await selectIn(db, ids, (chunk) =>
    db
      .select({ id: apiTokens.id })
      .from(apiTokens)
      .where(and(inArray(apiTokens.id, chunk), isNotNull(apiTokens.revokedAt))),
  );
  return rows.map((r) => r.id);
}
