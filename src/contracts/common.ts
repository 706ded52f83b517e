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

export const Id = z.string().min(1).max(64);
/** As people write them: digits with an optional leading `+`, spaces, dashes and brackets. */
export const Phone = z
  .string()
  .regex(/^\+?[0-9 ()-]{6,20}$/, "a phone number")
  .openapi({ example: "+91 98450 00000" });
export const Email = z.email().max(254);
export const IsoTime = z.iso.datetime({ offset: false }).openapi({ example: "2026-11-22T09:00:00Z" });

export const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(512).optional(),
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

export function json<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } };
}

export function jsonBody<T extends z.ZodType>(schema: T) {
  return { body: { required: true, content: { "application/json": { schema } } } };
}
