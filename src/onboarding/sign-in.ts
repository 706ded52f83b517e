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
import { type Background, finishLater } from "../platform/background";
import { config } from "../platform/config";

export type SignInRequestOutcome =
  | { ok: true }
  | { ok: false; code: "RATE_LIMITED"; detail: string; retryAfterSeconds: number }
  | { ok: false; code: "EMAIL_NOT_CONFIGURED"; detail: string };

/** Both limits are counted before the address is looked up, so an answer never tells whether it has an account. */
async function admitted(env: Env, clientAddress: string, email: string) {
  const coarse = await withinAddressRate(env, "sign-in", clientAddress);
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
 * channel, right after the answer (a vendor waits at the screen for it). Every admitted request is
 * answered alike and at once: the account is looked up, the link written and the mail sent in the
 * background, so neither the answer nor its timing tells whether the address has an account, or
 * whether the provider took the mail (a refused mail is logged; the vendor asks again). The link is
 * sent, never stored: only its hash is kept, so neither the outbox nor ops can read a way into the
 * account. In development without email configured, the link is written to the Worker's log
 * instead, so `bun run dev` works from a fresh clone.
 */
export async function requestSignInLink(
  env: Env,
  ctx: Background | undefined,
  input: { email: string; clientAddress: string; origin: string; now: Date },
): Promise<SignInRequestOutcome> {
  const email = normalEmail(input.email);
  const admit = await admitted(env, input.clientAddress, email);
  if (!admit.ok)
    return { ok: false, code: "RATE_LIMITED", detail: admit.detail, retryAfterSeconds: admit.retryAfterSeconds };
  if (!config(env).email && config(env).environment === "production") {
    return {
      ok: false,
      code: "EMAIL_NOT_CONFIGURED",
      detail: "Set EMAIL_API_KEY and EMAIL_FROM to send sign-in links",
    };
  }
  await finishLater(
    ctx,
    sendSignInLink(env, { ...input, email }).catch((e) => console.error("sign-in link not sent", e)),
  );
  return { ok: true };
}

async function sendSignInLink(env: Env, input: { email: string; origin: string; now: Date }): Promise<void> {
  const { email } = input;
  const cfg = config(env);
  const db = database(env);
  const account = await findAccount(db, email);
  if (!account) return;
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
    return;
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
  if (!sent.ok) console.error(`sign-in link for vendor ${account.vendorId} not sent: ${sent.error}`);
}
