import { z } from "@hono/zod-openapi";

export const Currency = z
  .string()
  .regex(/^[A-Z]{3}$/, "ISO 4217 code, upper case")
  .openapi({ example: "INR" });

export const Money = z
  .object({
    amountMinor: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
    currency: Currency,
  })
  .openapi("Money");
export type Money = z.infer<typeof Money>;

/** Checkout's caps (contracts/orders.ts): lines per cart and units per line. */
export const MAX_CART_LINES = 50;
export const MAX_LINE_QTY = 99;

/**
 * Caps on the money a client may set, so every sum over an order is an exact integer (doubles are
 * exact below 2^53 ≈ 9.007e15). Goods: 50 lines × 99 units × 1e8 = 4.95e11. The tightest step is
 * the fee, `subtotal × bps` with bps ≤ 10,000 (domain/money.ts basisPointsOf): 4.95e15, still
 * exact, which is why a unit is capped under 1e8 (₹10 lakh, $1M) rather than 1e10; at 99,999,999,
 * eight digits, one unit at the cap is still a total Stripe charges (domain/chargeable.ts). Shipping:
 * 1e7 a parcel; even 4,950 units of 500 g in 1-gram bands are 2,475,000 parcels, 2.5e13. An order
 * then totals at most ~2.6e13, over 300 times below 2^53.
 */
export const MAX_UNIT_PRICE_MINOR = 99_999_999;
export const MAX_PARCEL_PRICE_MINOR = 10_000_000;
/** Thresholds compared with order totals: above any total the caps allow, and exact. */
export const MAX_THRESHOLD_MINOR = 1_000_000_000_000_000;

/** Money as a client sends it, at most `maxMinor` minor units. */
export const moneyUpTo = (maxMinor: number) =>
  z.object({
    amountMinor: z.number().int().nonnegative().max(maxMinor),
    currency: Currency,
  });
export const UnitPrice = moneyUpTo(MAX_UNIT_PRICE_MINOR).openapi("UnitPrice", {
  description: `A unit price, at most ${MAX_UNIT_PRICE_MINOR} minor units`,
});
export const ParcelPrice = moneyUpTo(MAX_PARCEL_PRICE_MINOR).openapi("ParcelPrice", {
  description: `One parcel's shipping, at most ${MAX_PARCEL_PRICE_MINOR} minor units`,
});

export const Id = z.string().min(1).max(64);
/** As people write them: digits with an optional leading `+`, spaces, dashes and brackets. */
export const Phone = z
  .string()
  .regex(/^\+?[0-9 ()-]{6,20}$/, "a phone number")
  .openapi({ example: "+91 98450 00000" });
export const Email = z.email().max(254);
export const IsoTime = z.iso.datetime({ offset: false }).openapi({ example: "2026-11-22T09:00:00Z" });

/**
 * The Idempotency-Key header of a route that requires one: published as required, but optional to
 * the validator, so its absence is the route's own 400 IDEMPOTENCY_KEY_REQUIRED and not a 422.
 */
export function requiredKeyHeader(description: string) {
  return z.object({
    "idempotency-key": z
      .string()
      .optional()
      .openapi({ param: { required: true }, description: `Required: ${description}` }),
  });
}

export const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  // A page's last key is its row's title or name (up to 200 characters, 4 bytes each in UTF-8), in base64.
  cursor: z.string().max(2048).optional(),
});

export function page<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

/** One field-level validation failure, as it appears in a problem body's `errors`. */
export type FieldError = { path: string; message: string };

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string(),
    requestId: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .passthrough()
  .openapi("Problem");

const problemContent = { "application/problem+json": { schema: Problem } };

/** The error answers every route may give, documented once. */
export const problemResponses = {
  400: { description: "Bad request", content: problemContent },
  401: { description: "No or bad token", content: problemContent },
  403: { description: "Role not allowed", content: problemContent },
  404: { description: "Not found, or another principal's resource", content: problemContent },
  409: { description: "Conflicts with current state", content: problemContent },
  422: { description: "Validation failed", content: problemContent },
  429: { description: "Rate limited", content: problemContent },
} as const;

/** One error answer of a route's own, described as that route gives it. */
export function problem(description: string) {
  return { description, content: problemContent };
}

export function json<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } };
}

export function jsonBody<T extends z.ZodType>(schema: T) {
  return { body: { required: true, content: { "application/json": { schema } } } };
}

/** Ids one bulk request may name; its arithmetic against the per-invocation limits is in src/http/bulk-budget.ts. */
export const MAX_BULK_IDS = 20;

/**
 * The code of an id a bulk request did not start: the ids before it spent the request's share of
 * the Worker's limits, nothing was done for it, and it is to be sent again.
 */
export const BULK_NOT_STARTED = "RATE_LIMITED";
