import { env } from "cloudflare:test";
import { signBridgeRequest } from "../../src/domain/bridge-signature";
import { ADMIN, api } from "./api";

/** The vendor's new bridge secret, made as an admin. */
export async function bridgeSecret(vendorId: string): Promise<string> {
  const r = await api("POST", `/v1/vendors/${vendorId}/inventory-bridge/secret`, { token: ADMIN });
  if (r.status !== 201) throw new Error(`bridge secret: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.secret;
}

/** Sends rows as a sheet would: signed now (or at `at`, unix seconds) with `secret`, under an optional key. */
export async function sendBridge(
  vendorId: string,
  secret: string,
  body: unknown,
  opts: { at?: number; header?: string; idempotencyKey?: string } = {},
) {
  const raw = typeof body === "string" ? body : JSON.stringify(body);
  const header = opts.header ?? (await signBridgeRequest(secret, opts.at ?? Math.floor(Date.now() / 1000), raw));
  const key: Record<string, string> =
    opts.idempotencyKey === undefined ? {} : { "idempotency-key": opts.idempotencyKey };
  return api("POST", `/v1/vendors/${vendorId}/inventory-bridge`, {
    rawBody: raw,
    headers: { "content-type": "application/json", "bridge-signature": header, ...key },
  });
}

export async function stagedRowsOf(vendorId: string): Promise<number> {
  const r = await env.DB.prepare("SELECT count(*) AS n FROM bridge_rows WHERE vendor_id = ?")
    .bind(vendorId)
    .first<{ n: number }>();
  return r?.n ?? 0;
}
