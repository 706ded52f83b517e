import { z } from "zod";
import { MAX_THRESHOLD_MINOR } from "../contracts/common";

const intVar = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const optionalSecret = z
  .string()
  .optional()
  .transform((v) => (v ? v : undefined));

const configSchema = z.object({
  ENVIRONMENT: z.enum(["production", "development"]).default("production"),
  MARKETPLACE_CURRENCY: z.string().regex(/^[A-Z]{3}$/),
  // ISO 3166-1 alpha-2: where the platform and its vendors' payout accounts are (Stripe Connect's
  // separate charges and transfers need both in one region). Payouts are in MARKETPLACE_CURRENCY.
  PLATFORM_COUNTRY: z
    .string()
    .regex(/^[A-Z]{2}$/)
    .default("IN"),
  // The analytics roll-ups' days are calendar days here (an IANA zone the runtime knows).
  MARKETPLACE_TIME_ZONE: z
    .string()
    .default("Asia/Kolkata")
    .refine((tz) => {
      try {
        new Intl.DateTimeFormat("en-CA", { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, "MARKETPLACE_TIME_ZONE must be an IANA time zone"),
  HOLD_TTL_SECONDS: intVar(900),
  MAX_OPEN_HOLDS_PER_CUSTOMER: intVar(5),
  MAX_UNITS_PER_SKU_PER_CUSTOMER: intVar(20),
  // Per client address (CF-Connecting-IP): units of one SKU held at once across all its guests,
  // and guests signed up per hour. Local runs raise both: every request there is 127.0.0.1.
  MAX_HELD_UNITS_PER_IP_PER_SKU: intVar(20),
  MAX_GUESTS_PER_IP_PER_HOUR: intVar(20),
  // The ADDRESS_RATE binding's coarse request rate per address; "off" skips it (local runs).
  COARSE_ADDRESS_RATE: z.enum(["on", "off"]).default("on"),
  NOTIFY_RATE_PER_MINUTE: intVar(220),
  // Orders worth this much or more (minor units) wait for ops approval; 0 turns the rule off.
  REVIEW_THRESHOLD_MINOR: z.coerce.number().int().min(0).max(MAX_THRESHOLD_MINOR).default(5_000_000),
  // Days a delivered sub-order's earnings wait (for a return) before they are payable.
  PAYOUT_HOLD_DAYS: z.coerce.number().int().min(0).max(365).default(7),
  // Credit notes are numbered per financial year: its first month (1-12) and the marketplace's fixed
  // offset from UTC in minutes, where the year turns. India: April, IST (+330).
  FINANCIAL_YEAR_START_MONTH: z.coerce.number().int().min(1).max(12).default(4),
  MARKETPLACE_UTC_OFFSET_MINUTES: z.coerce.number().int().min(-720).max(840).default(330),
  ADMIN_BOOTSTRAP_TOKEN: optionalSecret,
  STRIPE_SECRET_KEY: optionalSecret,
  STRIPE_WEBHOOK_SECRET: optionalSecret,
  // account.updated comes from the Connect endpoint, with its own signing secret (transfer.* come to
  // the platform endpoint: transfers are the platform account's own objects).
  STRIPE_CONNECT_WEBHOOK_SECRET: optionalSecret,
  // Public (a var, not a secret); set when the web app loads Stripe.js, whose origins the CSP then allows.
  STRIPE_PUBLISHABLE_KEY: optionalSecret,
  // {"delhivery": "<secret>", ...}: each carrier signs its tracking webhooks with its own secret.
  // A Map, not the object: the carrier code comes from the URL, and a plain object would answer
  // `constructor` or `__proto__` with Object.prototype's members, whose text is public.
  CARRIER_WEBHOOK_SECRETS: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (!v) return new Map<string, string>();
      try {
        return new Map(Object.entries(z.record(z.string(), z.string().min(16)).parse(JSON.parse(v))));
      } catch {
        ctx.addIssue({
          code: "custom",
          message: "CARRIER_WEBHOOK_SECRETS must be a JSON object of carrier code to secret",
        });
        return z.NEVER;
      }
    }),
  // Seals each vendor's inventory-bridge signing secret in D1 (AES-GCM under a key derived from it).
  BRIDGE_SECRET_KEY: z
    .string()
    .optional()
    .transform((v) => (v ? v : undefined))
    .refine((v) => v === undefined || v.length >= 32, "BRIDGE_SECRET_KEY must be at least 32 characters"),
  // Lets tests point the official Stripe SDK at a local fake of its HTTP API.
  STRIPE_API_BASE: optionalSecret,
  // WhatsApp Business Cloud API: on when both the token and the sending number are set.
  WHATSAPP_TOKEN: optionalSecret,
  WHATSAPP_PHONE_NUMBER_ID: optionalSecret,
  WHATSAPP_API_BASE: z.url().default("https://graph.facebook.com"),
  WHATSAPP_API_VERSION: z
    .string()
    .regex(/^v\d+\.\d+$/)
    .default("v21.0"),
  WHATSAPP_TEMPLATE_LANGUAGE: z.string().min(2).max(10).default("en"),
  // WhatsApp's message-status webhook (/v1/webhooks/whatsapp): Meta signs each delivery with the app's
  // secret (X-Hub-Signature-256) and proves a new subscription with the verify token typed into its
  // dashboard. On when both are set; until then the route answers 404.
  WHATSAPP_APP_SECRET: optionalSecret,
  WHATSAPP_VERIFY_TOKEN: optionalSecret,
  // Email through Resend's HTTP API: on when both the key and the sender are set.
  EMAIL_API_KEY: optionalSecret,
  EMAIL_FROM: optionalSecret,
  EMAIL_API_BASE: z.url().default("https://api.resend.com"),
});

export type Config = {
  environment: "production" | "development";
  currency: string;
  platformCountry: string;
  timeZone: string;
  holdTtlSeconds: number;
  maxOpenHoldsPerCustomer: number;
  maxUnitsPerSkuPerCustomer: number;
  maxHeldUnitsPerIpPerSku: number;
  maxGuestsPerIpPerHour: number;
  coarseAddressRate: boolean;
  notifyRatePerMinute: number;
  whatsapp?: { token: string; phoneNumberId: string; apiBase: string; apiVersion: string; language: string };
  whatsappWebhook?: { appSecret: string; verifyToken: string };
  email?: { apiKey: string; from: string; apiBase: string };
  reviewThresholdMinor: number;
  payoutHoldDays: number;
  financialYear: { startMonth: number; utcOffsetMinutes: number };
  adminBootstrapToken?: string;
  stripe?: { secretKey: string; webhookSecret: string; connectWebhookSecret?: string; apiBase?: string };
  /** Only in development without Stripe keys: production never simulates a payment or a payout. */
  simulatePayments: boolean;
  stripePublishableKey?: string;
  carrierWebhookSecrets: ReadonlyMap<string, string>;
  /** Unset: the inventory bridge answers 503 rather than store a vendor secret unsealed. */
  bridgeSecretKey?: string;
};

/**
 * Currencies whose ISO minor units Stripe's API does not take as they are: it counts ISK in
 * hundredths (ISO has none) and wants three-decimal amounts to end in 0, so a price in ISO minor
 * units would be charged a hundredth of itself, or refused, and a split or refund would not fit.
 */
export const STRIPE_UNFIT_CURRENCIES: readonly string[] = ["ISK", "BHD", "JOD", "KWD", "OMR", "TND"];

const cache = new WeakMap<object, Config>();
let announced = false;

/** Vars and secrets parsed once per env object; a bad deployment fails loudly at its first request. */
export function config(env: Env): Config {
  const hit = cache.get(env);
  if (hit) return hit;
  const raw = configSchema.parse(env);
  if (raw.STRIPE_SECRET_KEY && STRIPE_UNFIT_CURRENCIES.includes(raw.MARKETPLACE_CURRENCY)) {
    throw new Error(
      `MARKETPLACE_CURRENCY ${raw.MARKETPLACE_CURRENCY} cannot be charged through Stripe in ISO minor units; ` +
        `Stripe is not supported for ${STRIPE_UNFIT_CURRENCIES.join(", ")}`,
    );
  }
  const stripe =
    raw.STRIPE_SECRET_KEY && raw.STRIPE_WEBHOOK_SECRET
      ? {
          secretKey: raw.STRIPE_SECRET_KEY,
          webhookSecret: raw.STRIPE_WEBHOOK_SECRET,
          connectWebhookSecret: raw.STRIPE_CONNECT_WEBHOOK_SECRET,
          apiBase: raw.STRIPE_API_BASE,
        }
      : undefined;
  const parsed: Config = {
    environment: raw.ENVIRONMENT,
    currency: raw.MARKETPLACE_CURRENCY,
    platformCountry: raw.PLATFORM_COUNTRY,
    timeZone: raw.MARKETPLACE_TIME_ZONE,
    holdTtlSeconds: raw.HOLD_TTL_SECONDS,
    maxOpenHoldsPerCustomer: raw.MAX_OPEN_HOLDS_PER_CUSTOMER,
    maxUnitsPerSkuPerCustomer: raw.MAX_UNITS_PER_SKU_PER_CUSTOMER,
    maxHeldUnitsPerIpPerSku: raw.MAX_HELD_UNITS_PER_IP_PER_SKU,
    maxGuestsPerIpPerHour: raw.MAX_GUESTS_PER_IP_PER_HOUR,
    coarseAddressRate: raw.COARSE_ADDRESS_RATE === "on",
    notifyRatePerMinute: raw.NOTIFY_RATE_PER_MINUTE,
    whatsapp:
      raw.WHATSAPP_TOKEN && raw.WHATSAPP_PHONE_NUMBER_ID
        ? {
            token: raw.WHATSAPP_TOKEN,
            phoneNumberId: raw.WHATSAPP_PHONE_NUMBER_ID,
            apiBase: raw.WHATSAPP_API_BASE,
            apiVersion: raw.WHATSAPP_API_VERSION,
            language: raw.WHATSAPP_TEMPLATE_LANGUAGE,
          }
        : undefined,
    whatsappWebhook:
      raw.WHATSAPP_APP_SECRET && raw.WHATSAPP_VERIFY_TOKEN
        ? { appSecret: raw.WHATSAPP_APP_SECRET, verifyToken: raw.WHATSAPP_VERIFY_TOKEN }
        : undefined,
    email:
      raw.EMAIL_API_KEY && raw.EMAIL_FROM
        ? { apiKey: raw.EMAIL_API_KEY, from: raw.EMAIL_FROM, apiBase: raw.EMAIL_API_BASE }
        : undefined,
    reviewThresholdMinor: raw.REVIEW_THRESHOLD_MINOR,
    payoutHoldDays: raw.PAYOUT_HOLD_DAYS,
    financialYear: { startMonth: raw.FINANCIAL_YEAR_START_MONTH, utcOffsetMinutes: raw.MARKETPLACE_UTC_OFFSET_MINUTES },
    adminBootstrapToken: raw.ADMIN_BOOTSTRAP_TOKEN,
    stripe,
    simulatePayments: !stripe && raw.ENVIRONMENT === "development",
    stripePublishableKey: raw.STRIPE_PUBLISHABLE_KEY,
    carrierWebhookSecrets: raw.CARRIER_WEBHOOK_SECRETS,
    bridgeSecretKey: raw.BRIDGE_SECRET_KEY,
  };
  cache.set(env, parsed);
  if (!announced) {
    announced = true;
    console.log(
      parsed.stripe
        ? "payments: Stripe"
        : parsed.simulatePayments
          ? "payments: simulated provider (set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET to use Stripe)"
          : "payments: NOT CONFIGURED, checkout is refused (set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET)",
    );
  }
  return parsed;
}
