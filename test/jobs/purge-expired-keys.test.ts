import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { KEY_PURGE_CHUNK, KEY_PURGE_CHUNKS_PER_RUN, purgeExpiredKeys } from "../../src/jobs/housekeeping";
import { uid } from "../support/api";

// More than one run deletes (20,000 keys).
const SEEDED = 25_000;

/** `n` keys of `scope` expiring at `expiresAt`, in one statement. */
async function seedKeys(scope: string, n: number, expiresAt: string) {
  await env.DB.prepare(
    `insert into idempotency_keys (scope, key, request_hash, response_status, response_body, created_at, expires_at)
     with recursive n(i) as (select 1 union all select i + 1 from n where i < ?2)
     select ?1, 'k-' || i, 'h', 201, '{}', ?3, ?3 from n`,
  )
    .bind(scope, n, expiresAt)
    .run();
}

const keysOf = async (scope: string) =>
  (await env.DB.prepare("select count(*) as n from idempotency_keys where scope = ?")
    .bind(scope)
    .first<{ n: number }>())!.n;

describe("purge-expired-keys", () => {
  it("deletes expired keys a bounded number a run, the rest on the next, and keeps the unexpired", async () => {
    const now = new Date("2031-06-01T12:00:00Z");
    const expired = uid("purge-old-");
    const live = uid("purge-live-");
    await seedKeys(expired, SEEDED, "2031-05-30T09:00:00Z");
    await seedKeys(live, 3, "2031-06-02T00:00:00Z");

    const first = await purgeExpiredKeys(env, now);
    const left = await keysOf(expired);
    expect(left).toBeGreaterThan(0);
    expect(first.idempotencyKeys).toBe(KEY_PURGE_CHUNK * KEY_PURGE_CHUNKS_PER_RUN);
    expect(left).toBe(SEEDED - first.idempotencyKeys);
    expect(first).toMatchObject({ idempotencyKeysDone: false });

    const second = await purgeExpiredKeys(env, new Date(now.getTime() + 3_600_000));
    expect(second).toMatchObject({ idempotencyKeys: left, idempotencyKeysDone: true });
    expect(await keysOf(expired)).toBe(0);
    expect(await keysOf(live)).toBe(3);
  }, 60_000);
});
