import { SELF } from "cloudflare:test";

export const ADMIN = "test-admin-bootstrap-token";
const BASE = "https://oms.test";

export type Reply<T = any> = { status: number; body: T; headers: Headers };

/** A request through the real Worker entry, as an outside client would make it. */
export async function api<T = any>(
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string>; rawBody?: BodyInit } = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: BodyInit | undefined = opts.rawBody;
  if (opts.body !== undefined) {
    headers["content-type"] ??= "application/json";
    body = JSON.stringify(opts.body);
  }
  const res = await SELF.fetch(`${BASE}${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {}
  return { status: res.status, body: parsed as T, headers: res.headers };
}

let seq = 0;
/** Unique per call within a test file: storage is shared by every test in a file. */
export function uid(prefix = "t"): string {
  seq += 1;
  return `${prefix}${Date.now().toString(36)}${seq}${Math.random().toString(36).slice(2, 6)}`;
}

export async function newCustomer(name = "Test Shopper"): Promise<{ customerId: string; token: string }> {
  const r = await api("POST", "/v1/customers", { body: { name } });
  if (r.status !== 201) throw new Error(`customer: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

export async function tokenFor(
  role: "admin" | "ops" | "vendor" | "customer",
  ids: { vendorId?: string; customerId?: string } = {},
) {
  const r = await api("POST", "/v1/tokens", { token: ADMIN, body: { role, ...ids } });
  if (r.status !== 201) throw new Error(`token: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.token as string;
}
