import { expect } from "vitest";
import { api } from "./api";

/** The vendor's payout set-up (`POST /v1/vendors/{id}/payout-account`), answered 200. */
export async function setUpPayoutAccount(vendorId: string, token: string) {
  const r = await api("POST", `/v1/vendors/${vendorId}/payout-account`, { token });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

/** The vendor's payout readiness (`GET /v1/vendors/{id}/payout-account`), answered 200. */
export async function payoutReadiness(vendorId: string, token: string) {
  const r = await api("GET", `/v1/vendors/${vendorId}/payout-account`, { token });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}
