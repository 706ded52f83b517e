import type { AddressLimits } from "../../durable-objects/address-limits";
import { retryAfterSeconds } from "../domain/time";
import { config } from "../platform/config";

export type AddressRefusal = { ok: false; limit: number; retryAfterSeconds: number };

function limitsObject(env: Env, name: string): DurableObjectStub<AddressLimits> {
  return env.ADDRESS_LIMITS.get(env.ADDRESS_LIMITS.idFromName(name));
}

/** The ADDRESS_RATE binding's period in wrangler.toml: a refused client may try again after it. */
const ADDRESS_RATE_PERIOD_SECONDS = 60;

/**
 * The coarse request rate per address and purpose, before any exact count is asked: Cloudflare's
 * rate-limiting binding answers locally in the location, so a flood is turned away without
 * reaching an object. Each purpose counts apart: behind a carrier's shared address, one client's
 * flood of sign-ups must not turn away everyone's checkouts.
 */
export async function withinAddressRate(
  env: Env,
  purpose: "checkout" | "signup" | "sign-in",
  address: string,
): Promise<{ ok: true } | { ok: false; retryAfterSeconds: number }> {
  if (!config(env).coarseAddressRate) return { ok: true };
  const { success } = await env.ADDRESS_RATE.limit({ key: `${purpose}:${address}` });
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
  return r.ok ? r : { ok: false, limit: r.limit, retryAfterSeconds: retryAfterSeconds(r.retryAfterMs) };
}
