import { and, eq, inArray, isNotNull, isNull } from "drizzle-orm";
import type { Principal, Role } from "../domain/principal";
import { selectIn } from "./chunks";
import type { Db } from "./client";
import { apiTokens } from "./schema";

export async function findPrincipalByTokenHash(db: Db, tokenHash: string): Promise<Principal | null> {
  const row = await db
    .select()
    .from(apiTokens)
    .where(and(eq(apiTokens.tokenHash, tokenHash), isNull(apiTokens.revokedAt)))
    .get();
  if (!row) return null;
  return toPrincipal(row);
}

function toPrincipal(row: typeof apiTokens.$inferSelect): Principal | null {
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
  token: { id: string; tokenHash: string; role: Role; vendorId?: string; customerId?: string; createdAt: string },
) {
  return db.insert(apiTokens).values({
    id: token.id,
    tokenHash: token.tokenHash,
    role: token.role,
    vendorId: token.vendorId ?? null,
    customerId: token.customerId ?? null,
    createdAt: token.createdAt,
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
