import type { Context, MiddlewareHandler } from "hono";
import { database } from "../db/client";
import {
  claimKey,
  completeKey,
  findKey,
  IDEMPOTENCY_RETENTION_SECONDS,
  IN_FLIGHT,
  IN_FLIGHT_LEASE_SECONDS,
  releaseKey,
} from "../db/idempotency";
import { sha256Hex } from "../domain/crypto";
import { addSeconds, isoSeconds } from "../domain/time";
import type { AppEnv } from "./context";
import { ApiError } from "./errors";

/** The caller's Idempotency-Key: required on retryable writes, 1-255 visible characters. */
export function idempotencyKeyOf(c: Context<AppEnv>): string {
  const key = c.req.header("idempotency-key");
  if (!key)
    throw new ApiError("IDEMPOTENCY_KEY_REQUIRED", "Send an Idempotency-Key header so a retry cannot order twice");
  if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
    throw new ApiError("VALIDATION_FAILED", "The Idempotency-Key must be 1-255 visible ASCII characters", {
      errors: [{ path: "Idempotency-Key", message: "1-255 visible ASCII characters" }],
    });
  }
  return key;
}

const WAIT_FOR_FIRST_MS = 10_000;
// Routes that keep their own exactly-once rules: checkout (keys are part of its hold ids),
// webhooks (provider event ids), and raw uploads. And answers that carry a secret shown once (API
// tokens, shoppers' and vendors' new sessions, invite links, bridge secrets, feed tickets), which D1
// keeps only as hashes: a stored answer would keep the secret in plain text for the key's 48 hours
// and hand it out again; and the provider's payout onboarding links, which work once and expire.
const OWN_RULES = [
  /^\/v1\/checkout$/,
  /^\/v1\/webhooks\//,
  /\/photo$/,
  /^\/v1\/feeds\/tickets$/,
  /^\/v1\/tokens$/,
  /^\/v1\/customers$/,
  /^\/v1\/onboarding\/invites(\/accept)?$/,
  /^\/v1\/onboarding\/sign-in$/,
  /\/inventory-bridge\/secret$/,
  /\/payout-account$/,
];

/** Whether the write at this path keeps its own exactly-once rules instead of the optional key. */
export function keepsOwnRules(path: string): boolean {
  return OWN_RULES.some((re) => re.test(path));
}

/**
 * The method, path and body bytes. Bytes, not text: decoding turns every invalid UTF-8 byte into
 * U+FFFD, so two different uploads would hash the same. A UTF-8 body hashes as its text did.
 */
async function requestHashOf(c: Context<AppEnv>): Promise<string> {
  const head = new TextEncoder().encode(`${c.req.method} ${c.req.path}\n`);
  const body = new Uint8Array(await c.req.raw.clone().arrayBuffer());
  const all = new Uint8Array(head.length + body.length);
  all.set(head);
  all.set(body, head.length);
  return sha256Hex(all);
}

/**
 * An optional Idempotency-Key on any authenticated write: the first request with a key claims
 * it, a retry with the same body gets the stored answer (a concurrent one waits for the first),
 * and the same key with another body is 422. Only successful answers are kept: a failed request
 * frees its key for the retry, and one that died without a word frees it after five minutes
 * (`IN_FLIGHT_LEASE_SECONDS`). Anonymous calls are not replayed: they share no scope.
 */
export function replayableWrites(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const key = c.req.header("idempotency-key");
    const principal = c.get("principal");
    // Reads change nothing to replay (HEAD runs the GET handler: an export's whole body kept as a key's answer).
    const read = c.req.method === "GET" || c.req.method === "HEAD" || c.req.method === "OPTIONS";
    if (read || !key || !principal || keepsOwnRules(c.req.path)) return next();
    idempotencyKeyOf(c);
    const db = database(c.env);
    const scope = `${principal.role}:${principal.tokenId}`;
    const requestHash = await requestHashOf(c);
    let at = "";
    const claim = () => {
      const now = new Date();
      at = isoSeconds(now);
      return claimKey(db, {
        scope,
        key,
        requestHash,
        at,
        expiresAt: isoSeconds(addSeconds(now, IDEMPOTENCY_RETENTION_SECONDS)),
        lapsedBefore: isoSeconds(addSeconds(now, -IN_FLIGHT_LEASE_SECONDS)),
      });
    };
    if (!(await claim())) {
      const deadline = Date.now() + WAIT_FOR_FIRST_MS;
      for (;;) {
        const row = await findKey(db, scope, key);
        if (row && row.requestHash !== requestHash) throw new ApiError("IDEMPOTENCY_KEY_REUSED");
        if (row && row.responseStatus !== IN_FLIGHT) {
          // A 204 has no body, and its replay none either.
          const noContent = row.responseStatus === 204;
          return new Response(noContent ? null : row.responseBody, {
            status: row.responseStatus,
            headers: noContent
              ? { "Idempotent-Replayed": "true" }
              : { "content-type": "application/json", "Idempotent-Replayed": "true" },
          });
        }
        // No row: the first request failed and freed the key, so this one runs in its place,
        // unless another waiting retry claimed it first (then this one waits for that one).
        if (!row && (await claim())) break;
        if (Date.now() > deadline) {
          throw new ApiError("CONFLICT", "A request with this Idempotency-Key is still running; retry shortly");
        }
        await scheduler.wait(50);
      }
    }
    try {
      await next();
    } finally {
      const res = c.res;
      if (res.status >= 200 && res.status < 300) {
        await completeKey(db, scope, key, at, res.status, await res.clone().text());
      } else {
        await releaseKey(db, scope, key, at);
      }
    }
  };
}
