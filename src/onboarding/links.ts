import type { Vendor } from "../contracts/catalog";
import { database } from "../db/client";
import {
  acceptInvite,
  findAccount,
  findInvite,
  findSignInLink,
  redeemSignInLink,
  replaceInvites,
  type SessionRow,
} from "../db/onboarding";
import { newSecretToken, sha256Hex } from "../domain/crypto";
import { newId } from "../domain/ids";
import {
  DRAFT_VENDOR_TERMS,
  INVITE_TTL_SECONDS,
  linkTo,
  normalEmail,
  VENDOR_SESSION_TTL_SECONDS,
} from "../domain/onboarding";
import { addSeconds, isoSeconds } from "../domain/time";

export type Session = { vendorId: string; token: string; tokenId: string; tokenHash: string; expiresAt: string };
export type LinkRefusal =
  | { ok: false; code: "NOT_FOUND" | "LINK_EXPIRED" | "LINK_USED"; detail: string }
  | { ok: false; code: "CONFLICT"; detail: string };

/** A session token for the vendor; its id is given when one link may open only one session. */
async function newSession(
  vendorId: string,
  now: Date,
  id = newId("tok"),
): Promise<{ session: Session; row: SessionRow }> {
  const token = newSecretToken();
  const tokenHash = await sha256Hex(token);
  const expiresAt = isoSeconds(addSeconds(now, VENDOR_SESSION_TTL_SECONDS));
  return {
    session: { vendorId, token, tokenId: id, tokenHash, expiresAt },
    row: { id, tokenHash, vendorId, createdAt: isoSeconds(now), expiresAt },
  };
}

/** The link read by its hash if it can be used now, or why not. */
function usable<T extends { consumedAt: string | null; expiresAt: string }>(
  row: T | null,
  what: string,
  now: Date,
): { ok: true; row: T } | LinkRefusal {
  if (!row) return { ok: false, code: "NOT_FOUND", detail: `No such ${what}; check that the whole link was opened` };
  if (row.consumedAt) return { ok: false, code: "LINK_USED", detail: `This ${what} was already used` };
  if (row.expiresAt <= isoSeconds(now)) {
    return { ok: false, code: "LINK_EXPIRED", detail: `This ${what} expired at ${row.expiresAt}` };
  }
  return { ok: true, row };
}

/**
 * An invite to onboard `email`: a link that works once, for INVITE_TTL_SECONDS, and replaces the
 * address's earlier invites. An address that already has an account signs in by link instead (409).
 */
export async function createInvite(
  env: Env,
  input: { email: string; businessName?: string; origin: string; now: Date },
): Promise<{ ok: true; id: string; email: string; link: string; expiresAt: string } | LinkRefusal> {
  const db = database(env);
  const email = normalEmail(input.email);
  if (await findAccount(db, email)) {
    return { ok: false, code: "CONFLICT", detail: "This address already has a vendor account; it signs in by link" };
  }
  const token = newSecretToken("inv");
  const id = newId("inv");
  const expiresAt = isoSeconds(addSeconds(input.now, INVITE_TTL_SECONDS));
  await replaceInvites(db, {
    id,
    tokenHash: await sha256Hex(token),
    email,
    businessName: input.businessName ?? null,
    createdAt: isoSeconds(input.now),
    expiresAt,
  });
  return { ok: true, id, email, link: linkTo(input.origin, "invite", token), expiresAt };
}

/** Opens an invite: the draft vendor, its account and a signed-in session, and the invite spent. */
export async function openInvite(
  env: Env,
  input: { token: string; now: Date },
): Promise<({ ok: true } & Session) | LinkRefusal> {
  const db = database(env);
  const found = usable(await findInvite(db, await sha256Hex(input.token)), "invite", input.now);
  if (!found.ok) return found;
  const invite = found.row;
  const at = isoSeconds(input.now);
  const vendor: Vendor = {
    id: newId("ven"),
    name: invite.businessName ?? "",
    status: "active",
    ...DRAFT_VENDOR_TERMS,
    payoutAccountId: null,
    contactPhone: null,
    contactEmail: invite.email,
    createdAt: at,
    onboarding: "draft",
  };
  const { session, row } = await newSession(vendor.id, input.now, `tok_${invite.id}`);
  const done = await acceptInvite(db, { invite, vendor, session: row, at, step: "profile" });
  if (done.ok) return { ok: true, ...session };
  return done.code === "USED"
    ? { ok: false, code: "LINK_USED", detail: "This invite was already used" }
    : { ok: false, code: "CONFLICT", detail: "This address already has a vendor account; it signs in by link" };
}

/** Redeems a one-time sign-in link for a new session on whatever device opened it. */
export async function openSignInLink(
  env: Env,
  input: { token: string; now: Date },
): Promise<({ ok: true } & Session) | LinkRefusal> {
  const db = database(env);
  const found = usable(await findSignInLink(db, await sha256Hex(input.token)), "sign-in link", input.now);
  if (!found.ok) return found;
  const link = found.row;
  const { session, row } = await newSession(link.vendorId, input.now, `tok_${link.id}`);
  const done = await redeemSignInLink(db, { link, session: row, at: isoSeconds(input.now) });
  return done.ok
    ? { ok: true, ...session }
    : { ok: false, code: "LINK_USED", detail: "This sign-in link was already used" };
}
