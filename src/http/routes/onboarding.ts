import type { Context } from "hono";
import { VendorParams } from "../../contracts/catalog";
import { json, jsonBody, page, problemResponses } from "../../contracts/common";
import {
  CreatedInvite,
  CreateInvite,
  Onboarding,
  OnboardingDecision,
  OnboardingQuery,
  RedeemLink,
  RequestSignInLink,
  SaveStep,
  SignInLinkRequested,
  VendorSession,
} from "../../contracts/onboarding";
import { database } from "../../db/client";
import { findOnboarding, listOnboarding } from "../../db/onboarding";
import { createInvite, type LinkRefusal, openInvite, openSignInLink, type Session } from "../../onboarding/links";
import { requestSignInLink } from "../../onboarding/sign-in";
import { decideOnboarding, saveOnboardingStep, submitOnboarding, type WizardOutcome } from "../../onboarding/wizard";
import { rememberToken } from "../auth";
import { clientAddressOf } from "../client-address";
import { type AppEnv, router } from "../context";
import { ApiError } from "../errors";
import { defineRoute } from "../route";
import { actsFor, notFound, pageStart, principalOf } from "../scope";

const gone = { 410: { description: "Expired or already used", content: problemResponses[409].content } };

const invite = defineRoute({
  method: "post",
  path: "/onboarding/invites",
  access: ["admin", "ops"],
  summary: "Invite a vendor to onboard itself (the link is shown once)",
  description:
    "The link works once and for 7 days, and replaces the address's earlier invites not yet opened; opening it creates the draft vendor and signs it in.",
  request: jsonBody(CreateInvite),
  responses: { 201: json(CreatedInvite, "Invited"), ...problemResponses },
});

const accept = defineRoute({
  method: "post",
  path: "/onboarding/invites/accept",
  access: "public",
  summary: "Open an invite: creates the draft vendor and its account, and signs it in",
  description: "404 for an unknown invite, 410 LINK_EXPIRED or LINK_USED for a spent one.",
  request: jsonBody(RedeemLink),
  responses: { 201: json(VendorSession, "Signed in"), ...gone, ...problemResponses },
});

const requestLink = defineRoute({
  method: "post",
  path: "/onboarding/sign-in-links",
  access: "public",
  summary: "Email a one-time sign-in link to a vendor account's address",
  description:
    "The same answer whether or not the address has an account. Limited per address and per client (429 with Retry-After).",
  request: jsonBody(RequestSignInLink),
  responses: { 202: json(SignInLinkRequested, "Sent if the address has an account"), ...problemResponses },
});

const signIn = defineRoute({
  method: "post",
  path: "/onboarding/sign-in",
  access: "public",
  summary: "Redeem a sign-in link for a vendor session on this device",
  description: "The link works once and for 15 minutes: 410 LINK_EXPIRED or LINK_USED after.",
  request: jsonBody(RedeemLink),
  responses: { 201: json(VendorSession, "Signed in"), ...gone, ...problemResponses },
});

const list = defineRoute({
  method: "get",
  path: "/onboarding",
  access: ["admin", "ops"],
  summary: "Vendors onboarding themselves, by name",
  request: { query: OnboardingQuery },
  responses: { 200: json(page(Onboarding), "A page of onboardings"), ...problemResponses },
});

const read = defineRoute({
  method: "get",
  path: "/onboarding/{vendorId}",
  access: ["admin", "ops", "vendor"],
  summary: "A vendor's onboarding: its saved steps and where the wizard resumes",
  description: "A vendor reads only its own; any other id is 404.",
  request: { params: VendorParams },
  responses: { 200: json(Onboarding, "The onboarding"), ...problemResponses },
});

const save = defineRoute({
  method: "put",
  path: "/onboarding/{vendorId}/step",
  access: ["admin", "vendor"],
  summary: "Save one wizard step",
  description:
    "Validated by the vendor API's own schemas; moves the resume point past the step. 409 once submitted or approved.",
  request: { params: VendorParams, ...jsonBody(SaveStep) },
  responses: { 200: json(Onboarding, "Saved"), ...problemResponses },
});

const submit = defineRoute({
  method: "post",
  path: "/onboarding/{vendorId}/submit",
  access: ["admin", "vendor"],
  summary: "Submit the onboarding for ops' review",
  description: "422 naming what is still missing (a name, a contact email, a warehouse).",
  request: { params: VendorParams },
  responses: { 200: json(Onboarding, "Submitted"), ...problemResponses },
});

const decide = defineRoute({
  method: "post",
  path: "/onboarding/{vendorId}/decision",
  access: ["admin", "ops"],
  summary: "Approve a submitted vendor (its offers go live) or reject it with a reason",
  description: "Approving is 422, naming what is missing, if the vendor's essentials are no longer all in.",
  request: { params: VendorParams, ...jsonBody(OnboardingDecision) },
  responses: { 200: json(Onboarding, "Decided"), ...problemResponses },
});

/** Links point back at the origin the API was called on: Cloudflare routes only the Worker's own hostnames to it. */
const originOf = (c: Context<AppEnv>) => new URL(c.req.url).origin;

function refused(r: LinkRefusal): never {
  throw new ApiError(r.code, r.detail);
}

function signedIn(s: Session) {
  rememberToken(s.tokenHash, { role: "vendor", tokenId: s.tokenId, vendorId: s.vendorId });
  return { vendorId: s.vendorId, token: s.token, expiresAt: s.expiresAt };
}

function outcome(r: WizardOutcome, vendorId: string): Onboarding {
  if (r.ok) return r.onboarding;
  if (r.code === "NOT_FOUND") throw notFound("onboarding", vendorId);
  if (r.code === "VALIDATION_FAILED") {
    throw new ApiError("VALIDATION_FAILED", "Some essentials are still missing", {
      errors: r.missing.map((path) => ({ path, message: `required before ${r.when}` })),
    });
  }
  throw new ApiError(r.code, r.detail);
}

/** The vendor in the path, if the caller may act for it; 404 otherwise, worded as a missing one. */
function ownVendor(c: Context<AppEnv>, vendorId: string): string {
  if (!actsFor(principalOf(c), vendorId)) throw notFound("onboarding", vendorId);
  return vendorId;
}

export const onboarding = router()
  .openapi(invite, async (c) => {
    const body = c.req.valid("json");
    const r = await createInvite(c.env, { ...body, origin: originOf(c), now: new Date() });
    if (!r.ok) refused(r);
    const { ok: _, ...created } = r;
    return c.json(created, 201);
  })
  .openapi(accept, async (c) => {
    const r = await openInvite(c.env, { token: c.req.valid("json").token, now: new Date() });
    if (!r.ok) refused(r);
    return c.json(signedIn(r), 201);
  })
  .openapi(requestLink, async (c) => {
    const r = await requestSignInLink(c.env, c.executionCtx, {
      email: c.req.valid("json").email,
      clientAddress: clientAddressOf(c),
      origin: originOf(c),
      now: new Date(),
    });
    if (!r.ok) {
      const headers: Record<string, string> =
        r.code === "RATE_LIMITED" ? { "Retry-After": String(r.retryAfterSeconds) } : {};
      throw new ApiError(r.code, r.detail, {}, headers);
    }
    return c.json({ status: "sent_if_known" as const }, 202);
  })
  .openapi(signIn, async (c) => {
    const r = await openSignInLink(c.env, { token: c.req.valid("json").token, now: new Date() });
    if (!r.ok) refused(r);
    return c.json(signedIn(r), 201);
  })
  .openapi(list, async (c) => {
    const q = c.req.valid("query");
    const result = await listOnboarding(database(c.env), {
      limit: q.limit,
      after: pageStart(q.cursor),
      state: q.state,
    });
    return c.json(result, 200);
  })
  .openapi(read, async (c) => {
    const vendorId = ownVendor(c, c.req.valid("param").vendorId);
    const found = await findOnboarding(database(c.env), vendorId);
    if (!found) throw notFound("onboarding", vendorId);
    return c.json(found, 200);
  })
  .openapi(save, async (c) => {
    const vendorId = ownVendor(c, c.req.valid("param").vendorId);
    const r = await saveOnboardingStep(c.env, vendorId, c.req.valid("json"), new Date());
    return c.json(outcome(r, vendorId), 200);
  })
  .openapi(submit, async (c) => {
    const vendorId = ownVendor(c, c.req.valid("param").vendorId);
    return c.json(outcome(await submitOnboarding(c.env, vendorId, new Date()), vendorId), 200);
  })
  .openapi(decide, async (c) => {
    const { vendorId } = c.req.valid("param");
    return c.json(outcome(await decideOnboarding(c.env, vendorId, c.req.valid("json"), new Date()), vendorId), 200);
  });
