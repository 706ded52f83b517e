import type { Onboarding, SaveStep } from "../contracts/onboarding";
import { database } from "../db/client";
import { findOnboarding, moveOnboarding, saveStep } from "../db/onboarding";
import { stepAfter } from "../domain/onboarding";
import { isoSeconds } from "../domain/time";

export type WizardOutcome =
  | { ok: true; onboarding: Onboarding }
  | { ok: false; code: "NOT_FOUND" }
  | { ok: false; code: "ILLEGAL_TRANSITION"; detail: string }
  | { ok: false; code: "VALIDATION_FAILED"; missing: string[]; when: "submitting" | "approving" };

async function current(db: ReturnType<typeof database>, vendorId: string): Promise<WizardOutcome> {
  const onboarding = await findOnboarding(db, vendorId);
  return onboarding ? { ok: true, onboarding } : { ok: false, code: "NOT_FOUND" };
}

const waiting = (state: string): WizardOutcome => ({
  ok: false,
  code: "ILLEGAL_TRANSITION",
  detail:
    state === "submitted" ? "Submitted: it waits for ops' review unchanged" : `The onboarding is ${state} and closed`,
});

/** Saves one step and moves the resume point past it; the vendor's fields go to its own row. */
export async function saveOnboardingStep(env: Env, vendorId: string, body: SaveStep, now: Date) {
  const db = database(env);
  const before = await current(db, vendorId);
  if (!before.ok) return before;
  const { step, ...fields } = body;
  const saved = await saveStep(db, {
    vendorId,
    fields: step === "contacts" ? { contactPhone: null, ...fields } : fields,
    resumeAt: stepAfter(step),
    at: isoSeconds(now),
  });
  if (!saved) return waiting(before.onboarding.state);
  return current(db, vendorId);
}

/** The vendor hands its draft to ops, once the essentials are in. */
export async function submitOnboarding(env: Env, vendorId: string, now: Date): Promise<WizardOutcome> {
  const db = database(env);
  const before = await current(db, vendorId);
  if (!before.ok) return before;
  if (before.onboarding.missing.length > 0)
    return { ok: false, code: "VALIDATION_FAILED", missing: before.onboarding.missing, when: "submitting" };
  const at = isoSeconds(now);
  const moved = await moveOnboarding(db, {
    vendorId,
    from: ["draft", "rejected"],
    to: "submitted",
    progress: { submittedAt: at, step: "review" },
    at,
  });
  if (!moved) return waiting(before.onboarding.state);
  return current(db, vendorId);
}

/** Ops approve a submitted vendor (its offers go live) or send it back with a reason. */
export async function decideOnboarding(
  env: Env,
  vendorId: string,
  decision: { decision: "approve" } | { decision: "reject"; reason: string },
  now: Date,
): Promise<WizardOutcome> {
  const db = database(env);
  const before = await current(db, vendorId);
  if (!before.ok) return before;
  // The vendor API stays open while ops review (a contact cleared, a warehouse deactivated), so the
  // essentials checked at submission are checked again before the vendor goes live.
  const { state, missing } = before.onboarding;
  if (decision.decision === "approve" && state === "submitted" && missing.length > 0) {
    return { ok: false, code: "VALIDATION_FAILED", missing, when: "approving" };
  }
  const at = isoSeconds(now);
  const approving = decision.decision === "approve";
  // The approval's write checks the essentials again: one lost between the read above and it keeps
  // the vendor submitted.
  const moved = await moveOnboarding(db, {
    vendorId,
    from: ["submitted"],
    to: approving ? "approved" : "rejected",
    progress: { decidedAt: at, rejectReason: approving ? null : decision.reason },
    at,
    essentials: approving,
  });
  if (!moved) {
    const after = await current(db, vendorId);
    if (!after.ok) return after;
    if (approving && after.onboarding.state === "submitted") {
      if (after.onboarding.missing.length > 0) {
        return { ok: false, code: "VALIDATION_FAILED", missing: after.onboarding.missing, when: "approving" };
      }
      // Lost and put back between the write and this read.
      return {
        ok: false,
        code: "ILLEGAL_TRANSITION",
        detail: "Its essentials changed while it was being approved; try again",
      };
    }
    return {
      ok: false,
      code: "ILLEGAL_TRANSITION",
      detail: `Only a submitted vendor is decided; this one is ${after.onboarding.state}`,
    };
  }
  return current(db, vendorId);
}
