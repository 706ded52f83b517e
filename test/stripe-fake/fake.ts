/**
 * A small stateful fake of the parts of Stripe's HTTP API the payments adapter uses, written against the
 * Fetch API's Request and Response so it runs on the Node side of the tests (see global-setup.mjs) while
 * the official SDK talks to it from inside workerd.
 *
 * It keeps the behaviour the order flow depends on: Idempotency-Key replay (same key and parameters: the
 * same object; same key, other parameters: an idempotency_error), cancellation refused once an intent has
 * succeeded, refunds bounded by the amount received, and Stripe's error body and statuses.
 *
 * Test-only control: `POST /_fake/payment_intents/{id}/outcome {"outcome": "succeeded" | "failed" |
 * "processing" | "canceled"}` moves an intent as the shopper's bank would and answers `{paymentIntent, event}`,
 * the event being the one Stripe would send for that change (null for "processing").
 * `POST /_fake/payment_intents/{id}/behaviour {"delayMs"?: number, "failRefunds"?: boolean}` makes refunds
 * and cancels of that intent answer only after `delayMs` (a slow provider widens races), and refunds fail
 * with a 503 the SDK does not retry while `failRefunds` is set; scoped to the intent, so other tests
 * sharing the fake are not slowed. `GET /_fake/payment_intents/{id}/refunds` answers `{count, amountMinor}` of
 * the refunds the fake made for the intent.
 */

type Params = { [key: string]: string | Params };

type PaymentIntent = {
  id: string;
  object: "payment_intent";
  amount: number;
  amount_received: number;
  automatic_payment_methods: { enabled: boolean } | null;
  canceled_at: number | null;
  cancellation_reason: string | null;
  client_secret: string;
  created: number;
  currency: string;
  description: string | null;
  last_payment_error: { code: string; message: string; type: string } | null;
  latest_charge: string | null;
  livemode: false;
  metadata: Record<string, string>;
  status:
    | "requires_payment_method"
    | "requires_confirmation"
    | "requires_action"
    | "processing"
    | "succeeded"
    | "canceled";
  transfer_group: string | null;
};

type Refund = {
  id: string;
  object: "refund";
  amount: number;
  charge: string | null;
  created: number;
  currency: string;
  metadata: Record<string, string>;
  payment_intent: string;
  reason: string | null;
  status: "succeeded";
};

type Saved = { fingerprint: string; status: number; body: string };

export type FakeOutcome = "succeeded" | "failed" | "processing" | "canceled";

// Fields, not parameter properties: Node strips this file's types when the browser tests serve it.
type Behaviour = { delayMs: number; failRefunds: boolean };

class StripeFault {
  readonly status: number;
  readonly error: Record<string, unknown>;
  constructor(status: number, error: Record<string, unknown>) {
    this.status = status;
    this.error = error;
  }
}

const invalid = (message: string, extra: Record<string, unknown> = {}) =>
  new StripeFault(400, { type: "invalid_request_error", message, ...extra });

const now = () => Math.floor(Date.now() / 1000);
const randomId = (prefix: string) => `${prefix}_${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`;

/** Stripe's form encoding: `metadata[orderId]=x&automatic_payment_methods[enabled]=true`. */
function parseForm(text: string): Params {
  const out: Params = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const path = key.split(/\[|\]\[|\]$/).filter((p) => p !== "");
    let node = out;
    for (const part of path.slice(0, -1)) {
      const next = node[part];
      if (typeof next === "object") node = next;
      else {
        const child: Params = {};
        node[part] = child;
        node = child;
      }
    }
    node[path[path.length - 1] as string] = value;
  }
  return out;
}

function str(p: Params, key: string): string | undefined {
  const v = p[key];
  return typeof v === "string" ? v : undefined;
}

function positiveInt(p: Params, key: string, required: boolean): number | undefined {
  const raw = str(p, key);
  if (raw === undefined) {
    if (required) throw invalid(`Missing required param: ${key}.`, { param: key, code: "parameter_missing" });
    return undefined;
  }
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    throw invalid(`Invalid positive integer: ${key}.`, { param: key, code: "parameter_invalid_integer" });
  }
  return n;
}

function metadataOf(p: Params): Record<string, string> {
  const m = p.metadata;
  if (typeof m !== "object") return {};
  return Object.fromEntries(Object.entries(m).filter((e): e is [string, string] => typeof e[1] === "string"));
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(typeof body === "string" ? body : JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", "request-id": randomId("req"), ...headers },
  });
}

export function createStripeFake() {
  const intents = new Map<string, PaymentIntent>();
  const refunds = new Map<string, Refund>();
  const refundedOf = new Map<string, number>();
  const idempotent = new Map<string, Saved>();
  const behaviours = new Map<string, Behaviour>();

  /** Waits as the intent's behaviour says, then refuses a refund if it is set to fail. */
  async function behave(intentId: string | undefined, kind: "refund" | "cancel"): Promise<Response | null> {
    const b = intentId ? behaviours.get(intentId) : undefined;
    if (!b) return null;
    if (b.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, b.delayMs));
    if (kind === "refund" && b.failRefunds) {
      return json(
        503,
        { error: { type: "api_error", message: "The fake is set to fail refunds of this intent." } },
        { "stripe-should-retry": "false" },
      );
    }
    return null;
  }

  function intent(id: string): PaymentIntent {
    const pi = intents.get(id);
    if (!pi) {
      throw new StripeFault(404, {
        type: "invalid_request_error",
        code: "resource_missing",
        param: "intent",
        message: `No such payment_intent: '${id}'`,
      });
    }
    return pi;
  }

  function createIntent(p: Params): PaymentIntent {
    const amount = positiveInt(p, "amount", true)!;
    const currency = str(p, "currency");
    if (!currency || !/^[a-z]{3}$/.test(currency)) {
      throw invalid("Invalid currency.", { param: "currency", code: "parameter_invalid_string" });
    }
    const id = randomId("pi");
    const pi: PaymentIntent = {
      id,
      object: "payment_intent",
      amount,
      amount_received: 0,
      automatic_payment_methods:
        typeof p.automatic_payment_methods === "object"
          ? { enabled: str(p.automatic_payment_methods, "enabled") === "true" }
          : null,
      canceled_at: null,
      cancellation_reason: null,
      client_secret: `${id}_secret_${crypto.randomUUID().replaceAll("-", "")}`,
      created: now(),
      currency,
      description: str(p, "description") ?? null,
      last_payment_error: null,
      latest_charge: null,
      livemode: false,
      metadata: metadataOf(p),
      status: "requires_payment_method",
      transfer_group: str(p, "transfer_group") ?? null,
    };
    intents.set(id, pi);
    return pi;
  }

  function cancelIntent(id: string, p: Params): PaymentIntent {
    const pi = intent(id);
    if (pi.status === "succeeded" || pi.status === "canceled" || pi.status === "processing") {
      throw invalid(
        `You cannot cancel this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent with one ` +
          "of the following statuses may be canceled: requires_payment_method, requires_capture, " +
          "requires_confirmation, requires_action.",
        { code: "payment_intent_unexpected_state", payment_intent: pi },
      );
    }
    pi.status = "canceled";
    pi.canceled_at = now();
    pi.cancellation_reason = str(p, "cancellation_reason") ?? null;
    return pi;
  }

  function createRefund(p: Params): Refund {
    const piId = str(p, "payment_intent");
    if (!piId) throw invalid("Missing required param: payment_intent.", { param: "payment_intent" });
    const pi = intent(piId);
    if (pi.status !== "succeeded") {
      throw invalid(`This PaymentIntent (${pi.id}) does not have a successful charge to refund.`, {
        code: "charge_not_refundable",
      });
    }
    const refunded = refundedOf.get(pi.id) ?? 0;
    const remaining = pi.amount_received - refunded;
    const amount = positiveInt(p, "amount", false) ?? remaining;
    if (remaining === 0) {
      throw invalid(`Charge ${pi.latest_charge} has already been refunded.`, { code: "charge_already_refunded" });
    }
    if (amount > remaining) {
      throw invalid(`Refund amount (${amount}) is greater than unrefunded amount on charge (${remaining})`, {
        code: "amount_too_large",
        param: "amount",
      });
    }
    const refund: Refund = {
      id: randomId("re"),
      object: "refund",
      amount,
      charge: pi.latest_charge,
      created: now(),
      currency: pi.currency,
      metadata: metadataOf(p),
      payment_intent: pi.id,
      reason: str(p, "reason") ?? null,
      status: "succeeded",
    };
    refunds.set(refund.id, refund);
    refundedOf.set(pi.id, refunded + amount);
    return refund;
  }

  function event(type: string, pi: PaymentIntent) {
    return {
      id: randomId("evt"),
      object: "event",
      api_version: "2026-01-01",
      created: now(),
      data: { object: structuredClone(pi) },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
    };
  }

  function settle(id: string, outcome: FakeOutcome) {
    const pi = intent(id);
    if (pi.status === "succeeded" || pi.status === "canceled") {
      throw invalid(`PaymentIntent ${id} is already ${pi.status}.`, { code: "payment_intent_unexpected_state" });
    }
    switch (outcome) {
      case "succeeded":
        pi.status = "succeeded";
        pi.amount_received = pi.amount;
        pi.latest_charge = randomId("ch");
        pi.last_payment_error = null;
        return { paymentIntent: pi, event: event("payment_intent.succeeded", pi) };
      case "failed":
        // As in Stripe: a declined attempt returns the intent to requires_payment_method for another try.
        pi.status = "requires_payment_method";
        pi.last_payment_error = { type: "card_error", code: "card_declined", message: "Your card was declined." };
        return { paymentIntent: pi, event: event("payment_intent.payment_failed", pi) };
      case "processing":
        pi.status = "processing";
        return { paymentIntent: pi, event: null };
      case "canceled":
        pi.status = "canceled";
        pi.canceled_at = now();
        return { paymentIntent: pi, event: event("payment_intent.canceled", pi) };
    }
  }

  /** Runs a POST once per Idempotency-Key, as Stripe does: a replay answers the saved result. */
  function once(req: Request, path: string, body: string, run: () => unknown): Response {
    const key = req.headers.get("idempotency-key");
    const fingerprint = `${req.method} ${path} ${body}`;
    const slot = key ? `${req.headers.get("authorization")} ${key}` : undefined;
    const saved = slot ? idempotent.get(slot) : undefined;
    if (saved) {
      if (saved.fingerprint !== fingerprint) {
        throw new StripeFault(400, {
          type: "idempotency_error",
          message:
            "Keys for idempotent requests can only be used with the same parameters they were first used with. " +
            `Try using a key other than '${key}' if you meant to execute a different request.`,
        });
      }
      return json(saved.status, saved.body, { "idempotent-replayed": "true", "idempotency-key": key! });
    }
    const result = JSON.stringify(run());
    // Stripe saves the result once the endpoint started executing; refusals of the request itself are not saved.
    if (slot) idempotent.set(slot, { fingerprint, status: 200, body: result });
    return json(200, result, key ? { "idempotency-key": key } : {});
  }

  async function handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const path = url.pathname;
    const body = req.method === "POST" ? await req.text() : "";
    try {
      if (path.startsWith("/_fake/")) {
        const m = path.match(/^\/_fake\/payment_intents\/([^/]+)\/(outcome|behaviour|refunds)$/);
        if (m?.[2] === "refunds" && req.method === "GET") {
          const of = [...refunds.values()].filter((r) => r.payment_intent === m[1]);
          return json(200, { count: of.length, amountMinor: of.reduce((n, r) => n + r.amount, 0) });
        }
        if (!m || req.method !== "POST") throw new StripeFault(404, { type: "invalid_request_error", message: path });
        if (m[2] === "behaviour") {
          const b = JSON.parse(body) as Partial<Behaviour>;
          const next = { delayMs: b.delayMs ?? 0, failRefunds: b.failRefunds ?? false };
          behaviours.set(m[1]!, next);
          return json(200, next);
        }
        const { outcome } = JSON.parse(body) as { outcome: FakeOutcome };
        return json(200, settle(m[1]!, outcome));
      }
      if (!/^Bearer sk_test_/.test(req.headers.get("authorization") ?? "")) {
        throw new StripeFault(401, { type: "authentication_error", message: "Invalid API Key provided." });
      }
      const params = parseForm(body);
      const [, v1, resource, id, action, ...rest] = path.split("/");
      if (v1 === "v1" && rest.length === 0 && resource === "payment_intents") {
        if (req.method === "POST" && !id) return once(req, path, body, () => createIntent(params));
        if (req.method === "GET" && id && !action) return json(200, intent(id));
        if (req.method === "POST" && id && action === "cancel") {
          const refused = await behave(id, "cancel");
          if (refused) return refused;
          return once(req, path, body, () => cancelIntent(id, params));
        }
      }
      if (v1 === "v1" && resource === "refunds" && req.method === "POST" && id === undefined) {
        const refused = await behave(str(params, "payment_intent"), "refund");
        if (refused) return refused;
        return once(req, path, body, () => createRefund(params));
      }
      throw new StripeFault(404, {
        type: "invalid_request_error",
        message: `Unrecognized request URL (${req.method}: ${path}).`,
      });
    } catch (err) {
      if (err instanceof StripeFault) return json(err.status, { error: err.error });
      return json(500, { error: { type: "api_error", message: String(err) } });
    }
  }

  return { handle, intents, refunds };
}
