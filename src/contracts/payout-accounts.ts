import { z } from "@hono/zod-openapi";
import { IsoTime } from "./common";

export const PayoutAccountStatus = z
  .object({
    vendorId: z.string(),
    provider: z.enum(["stripe", "simulated"]),
    accountId: z.string().nullable(),
    /** The one test a payout run applies: payouts enabled and onboarding submitted. */
    ready: z.boolean(),
    payoutsEnabled: z.boolean(),
    detailsSubmitted: z.boolean(),
    disabledReason: z.string().nullable().openapi({ example: "requirements.past_due" }),
    requirementsDue: z.array(z.string()).openapi({ example: ["external_account"] }),
    notReadyBecause: z.array(z.string()).openapi({ description: "Why payouts cannot be made yet; empty when ready" }),
    updatedAt: IsoTime.nullable().openapi({ description: "When the provider last reported on the account" }),
  })
  .openapi("PayoutAccountStatus");
export type PayoutAccountStatus = z.infer<typeof PayoutAccountStatus>;

export const PayoutAccountSetup = z
  .object({
    status: PayoutAccountStatus,
    onboardingUrl: z.url().openapi({ description: "One-time link to the provider's onboarding; open it at once" }),
    onboardingExpiresAt: IsoTime,
  })
  .openapi("PayoutAccountSetup");
export type PayoutAccountSetup = z.infer<typeof PayoutAccountSetup>;
