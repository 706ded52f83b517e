import { ONBOARDING_STEPS, type OnboardingStep } from "../contracts/onboarding";

/** An invite outlives a week-end away from the inbox, not a forgotten thread. */
export const INVITE_TTL_SECONDS = 7 * 24 * 3600;
/** A sign-in link is for now: long enough to open the mail, short if the mailbox leaks later. */
export const SIGN_IN_LINK_TTL_SECONDS = 15 * 60;
/** The vendor session a link opens; the next one is a new link away, on any device. */
export const VENDOR_SESSION_TTL_SECONDS = 30 * 24 * 3600;
/** Sign-in mails per address an hour: enough to retry, too few to flood someone's inbox. */
export const SIGN_IN_LINKS_PER_EMAIL_PER_HOUR = 5;
/** Sign-in requests per client address an hour, whatever addresses they name. */
export const SIGN_IN_LINKS_PER_CLIENT_PER_HOUR = 30;

/** Where a saved step leaves the vendor: the step after it. */
export function stepAfter(step: OnboardingStep): OnboardingStep {
  const i = ONBOARDING_STEPS.indexOf(step);
  return ONBOARDING_STEPS[Math.min(i + 1, ONBOARDING_STEPS.length - 1)]!;
}

export type DraftFacts = { name: string; contactEmail: string | null; warehouses: number };

/**
 * What submitting still needs: only the essentials ops cannot approve without (a name to sell
 * under, an address to reach, a warehouse to ship from). Payout and products may follow.
 */
export function missingEssentials(d: DraftFacts): string[] {
  const missing: string[] = [];
  if (d.name.trim() === "") missing.push("name");
  if (!d.contactEmail) missing.push("contactEmail");
  if (d.warehouses === 0) missing.push("warehouses");
  return missing;
}

/** Addresses compare case-insensitively: one account per mailbox however it is typed. */
export const normalEmail = (email: string) => email.trim().toLowerCase();

/**
 * The terms a self-onboarded vendor starts with until ops set its own (PATCH /v1/vendors/{id}):
 * the platform's standard commission and SLA, and a modest hourly capacity for a new seller.
 */
export const DRAFT_VENDOR_TERMS = {
  dispatchSlaHours: 18,
  nudgeLeadHours: 6,
  nudgeLeadMinutes: 360,
  commissionBps: 1000,
  hourlyCapacity: 50,
} as const;

/**
 * The web app's page that redeems a link. The secret rides in the fragment, which browsers never
 * send to a server, so it stays out of access logs and Referer headers.
 */
export const linkTo = (origin: string, kind: "invite" | "sign-in", token: string) =>
  `${origin}/vendor/welcome#${kind}=${token}`;
