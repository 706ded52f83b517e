import type { AddressLimits } from "../../durable-objects/address-limits";
import type { CountedHold, UnitClaimResult } from "../../durable-objects/address-limits-rpc";
import { config } from "../platform/config";
import { stockObject } from "./stock";

export type AddressRefusal = { ok: false; skuId?: string; limit: number; retryAfterSeconds: number };

function limitsObject(env: Env, name: string): DurableObjectStub<AddressLimits> {
  return env.ADDRESS_LIMITS.get(env.ADDRESS_LIMITS.idFromName(name));
}

const unitsOf = (env: Env, address: string, skuId: string) => limitsObject(env, `units:${address}:${skuId}`);
const retryAfter = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/** The ADDRESS_RATE binding's period in wrangler.toml: a refused client may try again after it. */
const ADDRESS_RATE_PERIOD_SECONDS = 60;

/**
 * The coarse request rate per address, before any exact count is asked: Cloudflare's rate-limiting
 * binding answers locally in the location, so a flood is turned away without reaching an object.
 */
export async function withinAddressRate(
  env: Env,
  address: string,
): Promise<{ ok: true } | { ok: false; retryAfterSeconds: number }> {
  if (!config(env).coarseAddressRate) return { ok: true };
  const { success } = await env.ADDRESS_RATE.limit({ key: address });
  return success ? { ok: true } : { ok: false, retryAfterSeconds: ADDRESS_RATE_PERIOD_SECONDS };
}

/** One more request from this address within the window, or how long until one is allowed. */
export async function admitFromAddress(
  env: Env,
  purpose: string,
  address: string,
  max: number,
  windowSeconds: number,
): Promise<{ ok: true } | AddressRefusal> {
  const r = await limitsObject(env, `${purpose}:${address}`).admit(max, windowSeconds * 1000);
  return r.ok ? r : { ok: false, limit: r.limit, retryAfterSeconds: retryAfter(r.retryAfterMs) };
}

/**
 * Counts a checkout's units of each SKU against its client address, all or nothing: a refusal
 * takes back the counts already made. Call it after the stock is held under `holdId`, so every
 * hold the counter knows of exists in its stock object unless it was paid or released since.
 */
export async function countUnitsForAddress(
  env: Env,
  input: { address: string; holdId: string; expiresAt: number; max: number; lines: { skuId: string; qty: number }[] },
): Promise<{ ok: true } | AddressRefusal> {
  const settled = await Promise.allSettled(input.lines.map((l) => claimFresh(env, input, l)));
  const failure = settled.find((s) => s.status === "rejected");
  const refused = settled.flatMap((s) => {
    if (s.status === "rejected" || s.value.result.ok) return [];
    const { limit, retryAfterMs } = s.value.result;
    return [{ ok: false as const, skuId: s.value.skuId, limit, retryAfterSeconds: retryAfter(retryAfterMs) }];
  });
  if (failure === undefined && refused.length === 0) return { ok: true };
  await releaseUnitsForAddress(
    env,
    input.address,
    input.holdId,
    input.lines.map((l) => l.skuId),
  );
  if (failure) throw failure.reason;
  return refused[0]!;
}

/**
 * A refusal lists the holds counted; those the stock object no longer holds unpaid (paid,
 * released by a cancellation or a failed checkout) are forgotten and the claim is tried once more.
 */
async function claimFresh(
  env: Env,
  input: { address: string; holdId: string; expiresAt: number; max: number },
  line: { skuId: string; qty: number },
): Promise<{ skuId: string; result: UnitClaimResult }> {
  const counter = unitsOf(env, input.address, line.skuId);
  const claim = { holdId: input.holdId, qty: line.qty, expiresAt: input.expiresAt, max: input.max };
  let result = await counter.claimUnits(claim);
  if (!result.ok) {
    const stale = await notHeld(env, line.skuId, result.counted);
    if (stale.length > 0) {
      await counter.forget(stale);
      result = await counter.claimUnits(claim);
    }
  }
  return { skuId: line.skuId, result };
}

async function notHeld(env: Env, skuId: string, counted: CountedHold[]): Promise<CountedHold[]> {
  const stock = stockObject(env, skuId);
  const rows = await Promise.all(counted.map((h) => stock.holdsOf(h.holdId)));
  return counted.filter((_, i) => !rows[i]!.some((r) => r.status === "held"));
}

/** The checkout gave its stock back: its units stop counting against the address at once. */
export async function releaseUnitsForAddress(env: Env, address: string, holdId: string, skuIds: string[]) {
  await Promise.all(skuIds.map((skuId) => unitsOf(env, address, skuId).releaseUnits(holdId)));
}
