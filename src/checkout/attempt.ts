import type { CheckoutBody } from "../contracts/orders";
import { type Db, database } from "../db/client";
import { sha256Hex } from "../domain/crypto";
import { idAt } from "../domain/ids";
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
  /** 64 more bits of the request's digest, in hex, which end the order's id (`orderIdFor`). */
  orderDigest: string;
  now: Date;
  nowIso: string;
  /** When a hold this attempt takes lapses unless the order is paid. */
  holdExpiresAt: Date;
};

/**
 * An attempt whose stock is held: the order it writes, and when that hold lapses as the stock
 * objects keep it (a hold taken by an earlier attempt under the same key keeps its own expiry).
 */
export type Placing = Attempt & { orderId: string };

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
 * The hold id derives from (customer, key, body), so concurrent duplicates share one hold and
 * collide on one row: one order, whatever the race.
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
    orderDigest: holdSeed.slice(24, 40),
    now,
    nowIso: isoSeconds(now),
    holdExpiresAt: addSeconds(now, cfg.holdTtlSeconds),
  };
}

/**
 * The order's id starts with its hold's expiry, which every attempt sharing the hold reads back
 * alike, and ends with the request's digest; the payment's idempotency key derives from it. Ids
 * that grow with time put the orders written together side by side in every index keyed by order
 * id (nine take a row at checkout), where random ids spread one shared write over a page per order
 * and index.
 */
export function orderIdFor(a: Attempt, holdExpiresAt: number): string {
  return idAt("ord", holdExpiresAt, BigInt(`0x${a.orderDigest}`));
}

export function placing(a: Attempt, held: { orderId: string; expiresAt: number }): Placing {
  return { ...a, orderId: held.orderId, holdExpiresAt: new Date(held.expiresAt) };
}
