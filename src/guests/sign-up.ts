import type { CreateCustomer } from "../contracts/tokens";
import { database } from "../db/client";
import { insertCustomerWithToken } from "../db/customers";
import { newSecretToken, sha256Hex } from "../domain/crypto";
import { GUEST_TOKEN_TTL_SECONDS } from "../domain/guests";
import { newId } from "../domain/ids";
import { addSeconds, isoSeconds } from "../domain/time";
import { admitFromAddress, withinAddressRate } from "../gateways/address-limits";
import { config } from "../platform/config";

export type SignUpOutcome =
  | { ok: true; customerId: string; token: string; tokenId: string; tokenHash: string }
  | { ok: false; code: "RATE_LIMITED"; detail: string; retryAfterSeconds: number };

/**
 * A guest and its token, at most so many per client address an hour: sign-up is public, and each
 * guest would otherwise bring its own fresh per-customer caps. The token lapses after a day unless
 * the guest orders (db/tokens.ts keeps it alive while its orders are open).
 */
export async function signUpGuest(
  env: Env,
  input: { clientAddress: string; body: CreateCustomer; now: Date },
): Promise<SignUpOutcome> {
  const rate = await withinAddressRate(env, "signup", input.clientAddress);
  if (!rate.ok) {
    return {
      ok: false,
      code: "RATE_LIMITED",
      detail: "Too many requests from this address",
      retryAfterSeconds: rate.retryAfterSeconds,
    };
  }
  const max = config(env).maxGuestsPerIpPerHour;
  const admitted = await admitFromAddress(env, "signup", input.clientAddress, max, 3600);
  if (!admitted.ok) {
    return {
      ok: false,
      code: "RATE_LIMITED",
      detail: `At most ${max} guests may sign up per hour from one client address`,
      retryAfterSeconds: admitted.retryAfterSeconds,
    };
  }
  const { body, now } = input;
  const customerId = newId("cus");
  const token = newSecretToken();
  const tokenId = newId("tok");
  const tokenHash = await sha256Hex(token);
  const createdAt = isoSeconds(now);
  await insertCustomerWithToken(
    database(env),
    { id: customerId, name: body.name, email: body.email ?? null, phone: body.phone ?? null, createdAt },
    { id: tokenId, tokenHash, expiresAt: isoSeconds(addSeconds(now, GUEST_TOKEN_TTL_SECONDS)) },
  );
  return { ok: true, customerId, token, tokenId, tokenHash };
}
