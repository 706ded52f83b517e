import { database } from "../db/client";
import { findAccount, insertSignInLink } from "../db/onboarding";
import { newSecretToken, sha256Hex } from "../domain/crypto";
import { newId } from "../domain/ids";
import {
  linkTo,
  normalEmail,
  SIGN_IN_LINK_TTL_SECONDS,
  SIGN_IN_LINKS_PER_CLIENT_PER_HOUR,
  SIGN_IN_LINKS_PER_EMAIL_PER_HOUR,
} from "../domain/onboarding";
import { addSeconds, isoSeconds } from "../domain/time";
import { admitFromAddress, withinAddressRate } from "../gateways/address-limits";
import { emailChannel } from "../notifications/channels/email";
import type { Outgoing } from "../notifications/channels/port";
import { config } from "../platform/config";

export type SignInRequestOutcome =
  | { ok: true }
  | { ok: false; code: "RATE_LIMITED"; detail: string; retryAfterSeconds: number }
  | { ok: false; code: "EMAIL_NOT_CONFIGURED" | "EMAIL_NOT_SENT"; detail: string };

/** Both limits are counted before the address is looked up, so an answer never tells whether it has an account. */
async function admitted(env: Env, clientAddress: string, email: string) {
  const coarse = await withinAddressRate(env, clientAddress);
  if (!coarse.ok) return { ...coarse, detail: "Too many requests from this address" };
  const byClient = await admitFromAddress(
    env,
    "vendor-sign-in",
    clientAddress,
    SIGN_IN_LINKS_PER_CLIENT_PER_HOUR,
    3600,
  );
  if (!byClient.ok) {
    return {
      ...byClient,
      detail: `At most ${SIGN_IN_LINKS_PER_CLIENT_PER_HOUR} sign-in links an hour from one client`,
    };
  }
  // Keyed by the address's hash: the limiter's object names should not carry people's addresses.
  const byEmail = await admitFromAddress(
    env,
    "vendor-sign-in-email",
    await sha256Hex(email),
    SIGN_IN_LINKS_PER_EMAIL_PER_HOUR,
    3600,
  );
  if (!byEmail.ok) {
    return { ...byEmail, detail: `At most ${SIGN_IN_LINKS_PER_EMAIL_PER_HOUR} sign-in links an hour to one address` };
  }
  return { ok: true as const };
}

/**
 * Emails a one-time sign-in link to a vendor account's address, through the notifications' email
 * channel and at once (a vendor waits at the screen for it). The link is sent, never stored: only
 * its hash is kept, so neither the outbox nor ops can read a way into the account. An unknown
 * address gets no mail and the same answer. In development without email configured, the link is
 * written to the Worker's log instead, so `bun run dev` works from a fresh clone.
 */
export async function requestSignInLink(
  env: Env,
  input: { email: string; clientAddress: string; origin: string; now: Date },
): Promise<SignInRequestOutcome> {
  const email = normalEmail(input.email);
  const admit = await admitted(env, input.clientAddress, email);
  if (!admit.ok)
    return { ok: false, code: "RATE_LIMITED", detail: admit.detail, retryAfterSeconds: admit.retryAfterSeconds };
  const cfg = config(env);
  if (!cfg.email && cfg.environment === "production") {
    return {
      ok: false,
      code: "EMAIL_NOT_CONFIGURED",
      detail: "Set EMAIL_API_KEY and EMAIL_FROM to send sign-in links",
    };
  }
  const db = database(env);
  const account = await findAccount(db, email);
  if (!account) return { ok: true };
  const token = newSecretToken("sil");
  const id = newId("sil");
  const expiresAt = addSeconds(input.now, SIGN_IN_LINK_TTL_SECONDS);
  await insertSignInLink(db, {
    id,
    tokenHash: await sha256Hex(token),
    vendorId: account.vendorId,
    createdAt: isoSeconds(input.now),
    expiresAt: isoSeconds(expiresAt),
    consumedAt: null,
  });
  const link = linkTo(input.origin, "sign-in", token);
  if (!cfg.email) {
    console.log(`dev: email is not configured; sign-in link for ${email}: ${link}`);
    return { ok: true };
  }
  const message: Outgoing = {
    id,
    orderId: null,
    threadKey: `vendor-sign-in:${account.vendorId}`,
    recipient: email,
    template: "vendor_sign_in",
    params: { link },
    text: `Open this link to sign in to your vendor account. It works once, until ${isoSeconds(expiresAt)} UTC:\n\n${link}\n\nIf you did not ask for it, ignore this message.`,
  };
  const sent = await emailChannel(cfg.email).send(message);
  if (!sent.ok) return { ok: false, code: "EMAIL_NOT_SENT", detail: "The sign-in link could not be sent; try again" };
  return { ok: true };
}
