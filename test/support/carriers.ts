import { expect } from "vitest";
import { signHmacSha256 } from "../../src/domain/hmac";
import { api } from "./api";

/** Delhivery's secret in the test bindings (vitest.config.ts, CARRIER_WEBHOOK_SECRETS). */
export const DELHIVERY_SECRET = "test-delhivery-webhook-secret";

/** A signed tracking event as Delhivery posts it, dated a minute ago unless `at` says otherwise; answered 200. */
export async function carrierSays(awb: string, event: string, at = new Date(Date.now() - 60_000)) {
  const raw = JSON.stringify({ awb, event, at: at.toISOString() });
  const r = await api("POST", "/v1/webhooks/carriers/delhivery", {
    rawBody: raw,
    headers: { "content-type": "application/json", "x-signature": await signHmacSha256(DELHIVERY_SECRET, raw) },
  });
  expect(r.status).toBe(200);
}
