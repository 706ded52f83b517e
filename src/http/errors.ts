import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ZodError } from "zod";
import type { FieldError } from "../contracts/common";

/** The closed set of error codes; the README's error table mirrors this map. */
export const errorStatus = {
  VALIDATION_FAILED: 422,
  IDEMPOTENCY_KEY_REQUIRED: 400,
  BAD_SIGNATURE: 400,
  SIGNATURE_EXPIRED: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  OUT_OF_STOCK: 409,
  ILLEGAL_TRANSITION: 409,
  STOCK_BELOW_RESERVED: 409,
  CONFLICT: 409,
  AWB_IN_USE: 409,
  SIGNATURE_REPLAYED: 409,
  STALE_COUNT: 412,
  PRECONDITION_FAILED: 412,
  LINK_EXPIRED: 410,
  LINK_USED: 410,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  IDEMPOTENCY_KEY_REUSED: 422,
  IMAGE_TOO_LARGE: 422,
  COUNT_VERSION_REQUIRED: 428,
  RATE_LIMITED: 429,
  PAYMENT_PROVIDER_ERROR: 502,
  PAYMENTS_NOT_CONFIGURED: 503,
  BRIDGE_NOT_CONFIGURED: 503,
  SHIPMENT_NOT_DISPATCHED: 503,
  EMAIL_NOT_CONFIGURED: 503,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof errorStatus;

const titles: Record<ErrorCode, string> = {
  VALIDATION_FAILED: "The request is not valid",
  IDEMPOTENCY_KEY_REQUIRED: "An Idempotency-Key header is required",
  BAD_SIGNATURE: "The signature does not verify",
  SIGNATURE_EXPIRED: "The signature's timestamp is outside the 5-minute window",
  UNAUTHENTICATED: "A valid bearer token is required",
  FORBIDDEN: "This role may not call this route",
  NOT_FOUND: "Not found",
  METHOD_NOT_ALLOWED: "Method not allowed",
  OUT_OF_STOCK: "Not enough stock",
  ILLEGAL_TRANSITION: "That transition is not allowed from the current status",
  STOCK_BELOW_RESERVED: "Stock cannot go below what is held and committed",
  CONFLICT: "The request conflicts with the current state",
  AWB_IN_USE: "That carrier's AWB is already on another shipment",
  SIGNATURE_REPLAYED: "This signed request was already received",
  STALE_COUNT: "The stock changed since it was counted",
  PRECONDITION_FAILED: "The resource does not match the request's If-Match",
  LINK_EXPIRED: "The link has expired",
  LINK_USED: "The link was already used",
  PAYLOAD_TOO_LARGE: "The request body is too large",
  UNSUPPORTED_MEDIA_TYPE: "Unsupported media type",
  IDEMPOTENCY_KEY_REUSED: "The Idempotency-Key was used with a different request",
  IMAGE_TOO_LARGE: "The image has more pixels than can be processed",
  COUNT_VERSION_REQUIRED: "A count must name the version of the level it was counted against",
  RATE_LIMITED: "Too many requests",
  PAYMENT_PROVIDER_ERROR: "The payment provider failed",
  PAYMENTS_NOT_CONFIGURED: "Payments are not configured on this deployment",
  BRIDGE_NOT_CONFIGURED: "The inventory bridge is not configured on this deployment",
  SHIPMENT_NOT_DISPATCHED: "The parcel with this AWB is not recorded as dispatched yet; send the event again later",
  EMAIL_NOT_CONFIGURED: "Email is not configured on this deployment",
  INTERNAL: "Internal error",
};

/** An expected failure on its way to the client; anything else reaching onError is a bug. */
export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly detail?: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? titles[code]);
    this.name = "ApiError";
  }
}

export function problem(c: Context, err: ApiError): Response {
  const status = errorStatus[err.code];
  const body = {
    type: `https://edge-oms.dev/problems/${err.code.toLowerCase().replaceAll("_", "-")}`,
    title: titles[err.code],
    status,
    detail: err.detail ?? titles[err.code],
    code: err.code,
    requestId: c.get("requestId") ?? "",
    ...err.extra,
  };
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/problem+json", ...err.headers },
  });
}

export function zodFieldErrors(error: ZodError): FieldError[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join(".") || "(root)",
    message: issue.message,
  }));
}

export function validationError(errors: FieldError[], detail = "Some fields are not valid"): ApiError {
  return new ApiError("VALIDATION_FAILED", detail, { errors });
}

export function onError(err: Error, c: Context): Response {
  if (err instanceof ApiError) return problem(c, err);
  if (err instanceof HTTPException) {
    // Hono's JSON validator reports unparseable bodies as a 400; the contract calls that a validation failure.
    if (err.status === 400 && /malformed json/i.test(err.message)) {
      return problem(c, validationError([{ path: "(body)", message: "Malformed JSON" }], "Malformed JSON"));
    }
    if (err.status === 413) return problem(c, new ApiError("PAYLOAD_TOO_LARGE"));
    if (err.status === 415)
      return problem(c, new ApiError("UNSUPPORTED_MEDIA_TYPE", "Send the body as application/json"));
    if (err.status === 401) return problem(c, new ApiError("UNAUTHENTICATED"));
  }
  console.error(JSON.stringify({ requestId: c.get("requestId"), error: err.message, stack: err.stack }));
  return problem(c, new ApiError("INTERNAL", "Something went wrong; quote the requestId when reporting it"));
}
