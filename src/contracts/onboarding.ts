import { z } from "@hono/zod-openapi";
import { OnboardingState, UpdateVendor } from "./catalog";
import { Email, IsoTime, ListQuery } from "./common";

// Vendor onboarding: ops invite by email, the vendor signs in by one-time links and fills a wizard
// whose steps save on the server as it goes; ops approve before its offers go live. Each step's
// fields are the vendor API's own schemas (UpdateVendor), so the wizard and the API agree.

export const ONBOARDING_STEPS = ["profile", "contacts", "warehouses", "payout", "products", "review"] as const;
export const OnboardingStep = z.enum(ONBOARDING_STEPS);
export type OnboardingStep = z.infer<typeof OnboardingStep>;

/** A link's secret as it travels from the email or ops' message back to the API. */
const LinkToken = z.string().min(16).max(128);

export const CreateInvite = z
  .object({
    email: Email,
    businessName: UpdateVendor.shape.name.unwrap().optional(),
  })
  .strict()
  .openapi("CreateInvite");

export const CreatedInvite = z
  .object({
    id: z.string(),
    email: z.string(),
    link: z.string().openapi({ description: "Single use; the secret after # never reaches a server log" }),
    expiresAt: IsoTime,
  })
  .openapi("CreatedInvite");

export const RedeemLink = z.object({ token: LinkToken }).strict().openapi("RedeemLink");

/** A vendor session: the bearer token the web app keeps for the vendor slot. */
export const VendorSession = z
  .object({ vendorId: z.string(), token: z.string(), expiresAt: IsoTime })
  .openapi("VendorSession");

export const RequestSignInLink = z.object({ email: Email }).strict().openapi("RequestSignInLink");
export const SignInLinkRequested = z
  .object({ status: z.literal("sent_if_known") })
  .openapi("SignInLinkRequested", { description: "The same answer whether or not the address has an account" });

/** One wizard step as saved; the steps without fields of their own only move the vendor on. */
export const SaveStep = z
  .discriminatedUnion("step", [
    z.object({ step: z.literal("profile"), name: UpdateVendor.shape.name.unwrap() }).strict(),
    z
      .object({
        step: z.literal("contacts"),
        contactEmail: UpdateVendor.shape.contactEmail.unwrap().unwrap(),
        contactPhone: UpdateVendor.shape.contactPhone.unwrap().optional(),
      })
      .strict(),
    z.object({ step: z.literal("warehouses") }).strict(),
    z.object({ step: z.literal("payout") }).strict(),
    z.object({ step: z.literal("products") }).strict(),
  ])
  .openapi("SaveOnboardingStep");
export type SaveStep = z.infer<typeof SaveStep>;

export const Onboarding = z
  .object({
    vendorId: z.string(),
    email: z.string().nullable().openapi({ description: "The sign-in address; null for a vendor made by an admin" }),
    name: z.string(),
    contactEmail: z.string().nullable(),
    contactPhone: z.string().nullable(),
    payoutAccountId: z.string().nullable(),
    state: OnboardingState,
    step: OnboardingStep.openapi({ description: "Where the wizard resumes" }),
    warehouses: z.number().int(),
    products: z.number().int(),
    missing: z.array(z.string()).openapi({ description: "What submitting still needs" }),
    submittedAt: IsoTime.nullable(),
    decidedAt: IsoTime.nullable(),
    rejectReason: z.string().nullable(),
  })
  .openapi("Onboarding");
export type Onboarding = z.infer<typeof Onboarding>;

export const OnboardingQuery = ListQuery.extend({ state: OnboardingState.optional() });

export const OnboardingDecision = z
  .discriminatedUnion("decision", [
    z.object({ decision: z.literal("approve") }).strict(),
    z.object({ decision: z.literal("reject"), reason: z.string().trim().min(1).max(500) }).strict(),
  ])
  .openapi("OnboardingDecision");
