import { env } from "cloudflare:test";
import { sha256Hex } from "../../src/domain/crypto";
import { uid } from "./api";

/**
 * Customer tokens written straight to D1, so no isolate has them cached: each request or lookup
 * that carries one reads it, as in a rush of shoppers the isolate has not seen.
 */
export async function uncachedTokens(
  specs: { customerId: string; revoked: boolean }[],
): Promise<{ token: string; hash: string }[]> {
  const now = new Date().toISOString();
  const made = await Promise.all(
    specs.map(async () => {
      const token = `oms_${uid("cold")}`;
      return { token, hash: await sha256Hex(token) };
    }),
  );
  await env.DB.batch(
    specs.map((s, i) =>
      env.DB.prepare(
        `insert into api_tokens (id, token_hash, role, customer_id, created_at, revoked_at, expires_at)
         values (?, ?, 'customer', ?, ?, ?, null)`,
      ).bind(uid("tok_"), made[i]!.hash, s.customerId, now, s.revoked ? now : null),
    ),
  );
  return made;
}
