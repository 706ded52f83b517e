// A stateful fake of the two notification providers' HTTP APIs, as far as the adapters use them:
// WhatsApp Business Cloud API `POST /{version}/{phone-number-id}/messages` and Resend
// `POST /emails`. Requests are checked as the providers document them and answered with their
// documented bodies, errors included. Tests script temporary or final refusals per recipient
// (`POST /_fake/script`), make a recipient's sends answer slowly (`POST /_fake/slow`) and read back
// what was sent (`GET /_fake/requests`).

export const FAKE_WHATSAPP_TOKEN = "wa-test-token";
export const FAKE_WHATSAPP_PHONE_NUMBER_ID = "106540352242922";
export const FAKE_RESEND_KEY = "re_test_key";

export type Recorded = { provider: "whatsapp" | "email"; headers: Record<string, string>; body: any; status: number };

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

const graphError = (status: number, code: number, message: string) =>
  json(status, { error: { message, type: "OAuthException", code, fbtrace_id: `Afake${code}` } });

const resendError = (statusCode: number, name: string, message: string) =>
  json(statusCode, { statusCode, name, message });

export function createNotifyFake() {
  const requests: Recorded[] = [];
  /** recipient -> statuses to answer with, in order, before answering normally (131056: WhatsApp's pair rate limit) */
  const scripts = new Map<string, number[]>();
  const idempotent = new Map<string, string>();
  /** recipient -> milliseconds before its messages are answered */
  const slow = new Map<string, number>();
  let seq = 0;

  function scripted(recipient: string): number | undefined {
    const queue = scripts.get(recipient);
    return queue?.shift();
  }

  function whatsapp(req: Request, body: any): Response {
    if (req.headers.get("authorization") !== `Bearer ${FAKE_WHATSAPP_TOKEN}`) {
      return graphError(401, 190, "Invalid OAuth access token - Cannot parse access token");
    }
    const t = body?.template;
    const valid =
      body?.messaging_product === "whatsapp" &&
      typeof body.to === "string" &&
      /^\d{8,15}$/.test(body.to) &&
      body.type === "template" &&
      typeof t?.name === "string" &&
      typeof t?.language?.code === "string" &&
      Array.isArray(t.components) &&
      t.components.every(
        (c: any) =>
          c.type === "body" &&
          Array.isArray(c.parameters) &&
          c.parameters.every((p: any) => p.type === "text" && typeof p.text === "string" && p.text.length > 0),
      );
    if (!valid) return graphError(400, 100, "(#100) Invalid parameter");
    switch (scripted(body.to)) {
      case 429:
        return graphError(429, 130429, "(#130429) Rate limit hit");
      case 500:
        return graphError(500, 131000, "(#131000) Something went wrong");
      // A message WhatsApp refuses for good: the parameters do not fit the approved template.
      case 400:
        return graphError(400, 132000, "(#132000) Number of parameters does not match the expected number of params");
      // No approved template of that name: a template named by a deploy before WhatsApp approved it.
      case 132001:
        return graphError(400, 132001, "(#132001) Template name does not exist in the translation");
      // The number has no WhatsApp (or cannot receive): final.
      case 131026:
        return graphError(400, 131026, "(#131026) Message undeliverable");
      // Meta answers its throttles with HTTP 400 and tells them apart by code.
      case 131056:
        return graphError(400, 131056, "(#131056) (Business Account, Consumer Account) pair rate limit hit");
      // Refusals about the business account, which an operator clears: it is locked, its bill unpaid.
      case 131031:
        return graphError(403, 131031, "(#131031) Business Account locked");
      case 131042:
        return graphError(400, 131042, "(#131042) Business eligibility payment issue");
    }
    seq += 1;
    return json(200, {
      messaging_product: "whatsapp",
      contacts: [{ input: body.to, wa_id: body.to }],
      messages: [{ id: `wamid.fake${String(seq).padStart(8, "0")}` }],
    });
  }

  function email(req: Request, body: any): Response {
    if (req.headers.get("authorization") !== `Bearer ${FAKE_RESEND_KEY}`) {
      return resendError(401, "missing_api_key", "Missing API key in the authorization header");
    }
    const valid =
      typeof body?.from === "string" &&
      Array.isArray(body.to) &&
      body.to.length > 0 &&
      body.to.every((a: unknown) => typeof a === "string" && /@/.test(a)) &&
      typeof body.subject === "string" &&
      (typeof body.text === "string" || typeof body.html === "string");
    if (!valid)
      return resendError(
        422,
        "validation_error",
        "Invalid `to` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.",
      );
    const key = req.headers.get("idempotency-key");
    if (key && idempotent.has(key)) return json(200, { id: idempotent.get(key) });
    switch (scripted(body.to[0])) {
      case 429:
        return resendError(429, "rate_limit_exceeded", "Too many requests. You can only make 2 requests per second.");
      case 500:
        return resendError(500, "internal_server_error", "An unexpected error occurred.");
      case 400:
        return resendError(422, "validation_error", "The `from` domain is not verified.");
      case 403:
        return resendError(
          403,
          "validation_error",
          "The oms.test domain is not verified. Please, add and verify your domain on https://resend.com/domains",
        );
    }
    seq += 1;
    const id = `4ef9a417-02e9-4d39-ad75-${String(seq).padStart(12, "0")}`;
    if (key) idempotent.set(key, id);
    return json(200, { id });
  }

  return {
    async handle(req: Request): Promise<Response> {
      const url = new URL(req.url);
      if (req.method === "GET" && url.pathname === "/_fake/requests") return json(200, requests);
      if (req.method === "POST" && url.pathname === "/_fake/script") {
        const { recipient, statuses } = (await req.json()) as { recipient: string; statuses: number[] };
        scripts.set(recipient, [...statuses]);
        return json(200, { ok: true });
      }
      if (req.method === "POST" && url.pathname === "/_fake/slow") {
        const { recipients, ms } = (await req.json()) as { recipients: string[]; ms: number };
        for (const r of recipients) slow.set(r, ms);
        return json(200, { ok: true });
      }
      if (req.method !== "POST") return json(404, { error: "not found" });
      const body = await req.json().catch(() => null);
      const to = (body as { to?: unknown } | null)?.to;
      const delay = slow.get(Array.isArray(to) ? String(to[0]) : String(to));
      if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
      const provider =
        url.pathname === "/emails" ? "email" : /^\/v\d+\.\d+\/[^/]+\/messages$/.test(url.pathname) ? "whatsapp" : null;
      if (!provider) return json(404, { error: "not found" });
      if (provider === "whatsapp" && url.pathname.split("/")[2] !== FAKE_WHATSAPP_PHONE_NUMBER_ID) {
        return graphError(400, 100, "Unsupported post request. Object with ID does not exist");
      }
      const res = provider === "whatsapp" ? whatsapp(req, body) : email(req, body);
      const headers: Record<string, string> = {};
      for (const h of ["authorization", "idempotency-key", "content-type"]) {
        const v = req.headers.get(h);
        if (v) headers[h] = v;
      }
      requests.push({ provider, headers, body, status: res.status });
      return res;
    },
  };
}
