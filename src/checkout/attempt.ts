import type { CheckoutBody } from "../contracts/orders";
import { type Db, database } from "../db/client";
import { sha256Hex } from "../domain/crypto";
import type { Principal } from "../domain/principal";
import { addSeconds, isoSeconds } from "../domain/time";
import type { Background } from "../platform/background";
import { type Config, config } from "../platform/config";

export type Customer = Extract<Principal, { role: "customer" }>;

/** One checkout attempt: who asks, under which key, the ids derived from them, and when. */
export type Attempt = {
  env: Env;
  db: Db;
  /** The request's waitUntil: a D1 round trip shared with other checkouts is held open by it. */
  background: Background;
  cfg: Config;
  customer: Customer;
  /** The client address the request came from (see domain/client-address.ts). */
  clientAddress: string;
  key: string;
  /** The idempotency scope: keys are the customer's own. */
  scope: string;
  requestHash: string;
  holdId: string;
  orderId: string;
  now: Date;
  nowIso: string;
  /** When the stock holds lapse unless the order is paid. */
  holdExpiresAt: Date;
};

export type CheckoutInput = {
  customer: Customer;
  clientAddress: string;
  idempotencyKey: string;
  body: CheckoutBody;
  now: Date;
};

/** Stable across key order, so the same cart always hashes the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * The hold, order and payment ids derive from (customer, key, body), so concurrent duplicates
 * share one hold and collide on one row: one order, whatever the race.
 */
export async function beginAttempt(env: Env, background: Background, input: CheckoutInput): Promise<Attempt> {
  const { customer, clientAddress, idempotencyKey, body, now } = input;
  const cfg = config(env);
  const scope = `customer:${customer.customerId}`;
  const requestHash = await sha256Hex(canonical(body));
  const holdSeed = await sha256Hex(`${scope}\n${idempotencyKey}\n${requestHash}`);
  return {
    env,
    db: database(env),
    background,
    cfg,
    customer,
    clientAddress,
    key: idempotencyKey,
    scope,
    requestHash,
    holdId: `hold_${holdSeed.slice(0, 24)}`,
    orderId: `ord_${holdSeed.slice(24, 48)}`,
    now,
    nowIso: isoSeconds(now),
    holdExpiresAt: addSeconds(now, cfg.holdTtlSeconds),
  };
}
