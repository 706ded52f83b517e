import type { Context } from "hono";
import type { AppEnv } from "./context";
import { ApiError } from "./errors";

/** The caller's Idempotency-Key: required on retryable writes, 1-255 visible characters. */
export function idempotencyKeyOf(c: Context<AppEnv>): string {
  const key = c.req.header("idempotency-key");
  if (!key)
    throw new ApiError("IDEMPOTENCY_KEY_REQUIRED", "Send an Idempotency-Key header so a retry cannot order twice");
  if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
    throw new ApiError("VALIDATION_FAILED", "The Idempotency-Key must be 1-255 visible ASCII characters", {
      errors: [{ path: "Idempotency-Key", message: "1-255 visible ASCII characters" }],
    });
  }
  return key;
}
