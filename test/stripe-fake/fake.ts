/**
 * A small stateful fake of the parts of Stripe's HTTP API the payments adapter uses, written against the
 * Fetch API's Request and Response so it runs on the Node side of the tests (see global-setup.mjs) while
 * the official SDK talks to it from inside workerd.
 *
 * It keeps the behaviour the order flow depends on: Idempotency-Key replay (same key and parameters: the
 * same object; same key, other parameters: an idempotency_error), intent amounts bounded as Stripe bounds them
 * (`amount_too_small` under the currency's minimum charge, `amount_too_large` past eight digits), cancellation
 * refused once an intent has succeeded, refunds bounded by the amount received, and Stripe's error body and statuses.
 *
 * Test-only control: `POST /_fake/payment_intents/{id}/outcome {"outcome": "succeeded" | "failed" |
 * "processing" | "canceled"}` moves an intent as the shopper's bank would and answers `{paymentIntent, event}`,
 * the event being the one Stripe would send for that change (null for "processing").
 * `POST /_fake/payment_intents/{id}/behaviour {"delayMs"?: number, "failRefunds"?: boolean, "refundsFailAs"?: string}`
 * makes refunds and cancels of that intent answer only after `delayMs` (a slow provider widens races), refunds
 * fail with a 503 the SDK does not retry while `failRefunds` is set, and are made but answered already
 * `failed` for the reason `refundsFailAs`; `"refuseRefundsAs"?: string` refuses them with a 400 of that
 * code (a dispute's `charge_disputed`), kept under the request's key as Stripe keeps a refusal made once
 * the endpoint ran; `"loseRefundAnswers"?: boolean` makes them (kept under the key) but answers a 503, as
 * an answer lost on its way would leave the caller; scoped to the intent, so other tests
 * sharing the fake are not slowed. `GET /_fake/payment_intents/{id}/refunds` answers `{count, amountMinor}` of
 * the refunds the fake made for the intent (failed ones included); `GET /v1/refunds?payment_intent=` lists them
 * as Stripe does, newest first and paged. `POST /_fake/refunds/{id}/fail {"reason"}`
 * fails a refund after it was made, as a closed card does, and answers `{refund, event}` (`refund.failed`).
 *
 * Connect (separate charges and transfers): Express accounts and account links, transfers bounded by
 * their source charge (or the platform's balance), listing by transfer_group/destination/created with
 * Stripe's cursor paging, reversals bounded by the transfer's remainder and by the connected
 * account's balance (`balance_insufficient`, kept under its Idempotency-Key as Stripe keeps a refusal
 * made once the endpoint ran), a connected account's balance read with Stripe-Account,
 * and the platform's balance transactions (a charge's fee is 2% plus 300 minor units, a stand-in for
 * the real schedule). Test-only control: `POST /_fake/accounts/{id}/onboard` completes an account's
 * onboarding and answers `{account, event}` (the `account.updated` Stripe would send);
 * `POST /_fake/accounts/{id}/fail-reads {"times"}` refuses that many reads of the account with a 503;
 * `POST /_fake/accounts/{id}/payout` moves the account's whole available balance to its bank, so a
 * later reversal finds it short; `GET /_fake/requests?path=/v1/transfers` answers the requests the
 * fake received on that path (`{method, path, params, idempotencyKey, stripeAccount}`), oldest first.
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
  status: "succeeded" | "failed";
  failure_reason?: string;
};

type Account = {
  id: string;
  object: "account";
  business_type: string | null;
  capabilities: Record<string, "active" | "inactive" | "pending">;
  charges_enabled: boolean;
  country: string;
  created: number;
  default_currency: string;
  details_submitted: boolean;
  email: string | null;
  metadata: Record<string, string>;
  payouts_enabled: boolean;
  requirements: {
    alternatives: unknown[];
    current_deadline: number | null;
    currently_due: string[];
    disabled_reason: string | null;
    errors: unknown[];
    eventually_due: string[];
    past_due: string[];
    pending_verification: string[];
  };
  type: "express";
};

type Transfer = {
  id: string;
  object: "transfer";
  amount: number;
  amount_reversed: number;
  balance_transaction: string;
  created: number;
  currency: string;
  description: string | null;
  destination: string;
  destination_payment: string;
  livemode: false;
  metadata: Record<string, string>;
  reversals: { object: "list"; data: TransferReversal[]; has_more: boolean; total_count: number; url: string };
  reversed: boolean;
  source_transaction: string | null;
  source_type: "card";
  transfer_group: string | null;
};

type TransferReversal = {
  id: string;
  object: "transfer_reversal";
  amount: number;
  balance_transaction: string;
  created: number;
  currency: string;
  destination_payment_refund: string;
  metadata: Record<string, string>;
  source_refund: string | null;
  transfer: string;
};

type BalanceTransaction = {
  id: string;
  object: "balance_transaction";
  amount: number;
  available_on: number;
  created: number;
  currency: string;
  description: string | null;
  exchange_rate: null;
  fee: number;
  fee_details: { amount: number; application: null; currency: string; description: string; type: string }[];
  net: number;
  reporting_category: string;
  source: string;
  status: "available" | "pending";
  type: string;
};

type Logged = {
  method: string;
  path: string;
  params: Params;
  idempotencyKey: string | null;
  stripeAccount: string | null;
};

type Saved = { fingerprint: string; status: number; body: string };

export type FakeOutcome = "succeeded" | "failed" | "processing" | "canceled";

// Fields, not parameter properties: Node strips this file's types when the browser tests serve it.
type Behaviour = {
  delayMs: number;
  failRefunds: boolean;
  /** Refunds are made but answered already `failed` with this reason, as a card the network refuses at once. */
  refundsFailAs: string | null;
  /** Refunds are refused with a 400 of this code, kept under the request's key (a charge under dispute). */
  refuseRefundsAs: string | null;
  /** Refunds are made and kept under the key, but answered with a 503: the caller cannot tell it was made. */
  loseRefundAnswers: boolean;
};

class StripeFault {
  readonly status: number;
  readonly error: Record<string, unknown>;
  /** Refused once the endpoint ran (not on its parameters): Stripe keeps it under the request's key. */
  readonly kept: boolean;
  constructor(status: number, error: Record<string, unknown>, kept = false) {
    this.status = status;
    this.error = error;
    this.kept = kept;
  }
}

const invalid = (message: string, extra: Record<string, unknown> = {}) =>
  new StripeFault(400, { type: "invalid_request_error", message, ...extra });

/** A PaymentIntent's amount has at most eight digits, and at least the currency's minimum charge. */
const MAX_CHARGE = 99_999_999;
const MIN_CHARGE: Record<string, number> = { eur: 50, gbp: 30, inr: 50, jpy: 50, usd: 50 };

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

/** Stripe's list envelope over items newest first, paged by `limit` and `starting_after`. */
function listOf<T extends { id: string }>(url: string, items: T[], p: Params) {
  const limit = Math.min(Math.max(Number(str(p, "limit") ?? 10), 1), 100);
  const after = str(p, "starting_after");
  const start = after ? items.findIndex((i) => i.id === after) + 1 : 0;
  const data = items.slice(start, start + limit);
  return { object: "list", data, has_more: start + limit < items.length, url };
}

/** `created[gte]`, `created[gt]`, `created[lt]`, `created[lte]`, or `created=<n>`. */
function inCreated(p: Params, created: number): boolean {
  const c = p.created;
  if (typeof c === "string") return created === Number(c);
  if (!c) return true;
  const bound = (k: string) => (typeof c[k] === "string" ? Number(c[k]) : undefined);
  const [gte, gt, lt, lte] = [bound("gte"), bound("gt"), bound("lt"), bound("lte")];
  return (
    (gte === undefined || created >= gte) &&
    (gt === undefined || created > gt) &&
    (lt === undefined || created < lt) &&
    (lte === undefined || created <= lte)
  );
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
  const accounts = new Map<string, Account>();
  /** Reads of an account still to be refused with a 503 (`POST /_fake/accounts/{id}/fail-reads {"times"}`). */
  const failingReads = new Map<string, number>();
  const transfers = new Map<string, Transfer>();
  // Charges made by settled intents: amount and what has been transferred from each.
  const charges = new Map<string, { amount: number; currency: string; transferred: number }>();
  const paidOut = new Map<string, number>();
  // Newest first, as Stripe lists them.
  const balanceTransactions: BalanceTransaction[] = [];
  const requests: Logged[] = [];

  function book(type: string, source: string, amount: number, currency: string, fee = 0): string {
    const created = now();
    const txn: BalanceTransaction = {
      id: randomId("txn"),
      object: "balance_transaction",
      amount,
      available_on: created,
      created,
      currency,
      description: null,
      exchange_rate: null,
      fee,
      fee_details: fee
        ? [{ amount: fee, application: null, currency, description: "Stripe processing fees", type: "stripe_fee" }]
        : [],
      net: amount - fee,
      reporting_category: type === "transfer_refund" ? "transfer_reversal" : type,
      source,
      status: "available",
      type,
    };
    balanceTransactions.unshift(txn);
    return txn.id;
  }

  const platformAvailable = () => balanceTransactions.reduce((n, t) => n + t.net, 0);

  function account(id: string): Account {
    const a = accounts.get(id);
    if (!a) {
      throw new StripeFault(404, {
        type: "invalid_request_error",
        code: "resource_missing",
        param: "account",
        message: `No such account: '${id}'`,
      });
    }
    return a;
  }

  /** What a connected account holds: transfers to it, less reversals, less what went to its bank. */
  function accountAvailable(id: string): number {
    let n = 0;
    for (const t of transfers.values()) if (t.destination === id) n += t.amount - t.amount_reversed;
    return n - (paidOut.get(id) ?? 0);
  }

  function createAccount(p: Params): Account {
    if (str(p, "type") !== "express") throw invalid("This fake creates Express accounts only.", { param: "type" });
    const country = str(p, "country");
    if (!country || !/^[A-Z]{2}$/.test(country)) throw invalid("Invalid country.", { param: "country" });
    const due = ["business_type", "external_account", "tos_acceptance.date", "tos_acceptance.ip"];
    const a: Account = {
      id: randomId("acct"),
      object: "account",
      business_type: null,
      capabilities: Object.fromEntries(
        Object.entries(typeof p.capabilities === "object" ? p.capabilities : {})
          .filter(([, v]) => typeof v === "object" && str(v, "requested") === "true")
          .map(([k]) => [k, "inactive" as const]),
      ),
      charges_enabled: false,
      country,
      created: now(),
      default_currency: country === "IN" ? "inr" : "usd",
      details_submitted: false,
      email: str(p, "email") ?? null,
      metadata: metadataOf(p),
      payouts_enabled: false,
      requirements: {
        alternatives: [],
        current_deadline: null,
        currently_due: due,
        disabled_reason: "requirements.past_due",
        errors: [],
        eventually_due: due,
        past_due: due,
        pending_verification: [],
      },
      type: "express",
    };
    accounts.set(a.id, a);
    return a;
  }

  function createAccountLink(p: Params) {
    const id = str(p, "account");
    if (!id) throw invalid("Missing required param: account.", { param: "account", code: "parameter_missing" });
    account(id);
    if (str(p, "type") !== "account_onboarding" && str(p, "type") !== "account_update") {
      throw invalid("Invalid type.", { param: "type" });
    }
    for (const key of ["return_url", "refresh_url"]) {
      const url = str(p, key);
      if (url === undefined || !URL.canParse(url)) throw invalid(`Not a valid URL: ${key}.`, { param: key });
    }
    const created = now();
    return {
      object: "account_link",
      created,
      expires_at: created + 300,
      url: `https://connect.stripe.com/setup/e/${id}/${crypto.randomUUID().replaceAll("-", "")}`,
    };
  }

  function onboard(id: string) {
    const a = account(id);
    a.details_submitted = true;
    a.payouts_enabled = true;
    a.charges_enabled = true;
    for (const k of Object.keys(a.capabilities)) a.capabilities[k] = "active";
    a.requirements = { ...a.requirements, currently_due: [], eventually_due: [], past_due: [], disabled_reason: null };
    return { account: a, event: event("account.updated", a) };
  }

  function createTransfer(p: Params): Transfer {
    const amount = positiveInt(p, "amount", true)!;
    const currency = str(p, "currency");
    if (!currency || !/^[a-z]{3}$/.test(currency)) throw invalid("Invalid currency.", { param: "currency" });
    const destination = str(p, "destination");
    if (!destination) throw invalid("Missing required param: destination.", { param: "destination" });
    const dest = account(destination);
    if (dest.capabilities.transfers === undefined) {
      throw invalid("Your destination account needs to have the transfers capability enabled.", {
        code: "insufficient_capabilities_for_transfer",
        param: "destination",
      });
    }
    const source = str(p, "source_transaction");
    const charge = source ? charges.get(source) : undefined;
    if (source && !charge)
      throw invalid(`No such charge: '${source}'`, { param: "source_transaction", code: "resource_missing" });
    if (charge ? charge.transferred + amount > charge.amount : platformAvailable() < amount) {
      throw invalid(
        "You have insufficient available funds in your Stripe account. Try adding funds directly to your available balance by creating Charges using the 4000000000000077 test card.",
        { code: "balance_insufficient" },
      );
    }
    if (charge) charge.transferred += amount;
    const id = randomId("tr");
    const t: Transfer = {
      id,
      object: "transfer",
      amount,
      amount_reversed: 0,
      balance_transaction: book("transfer", id, -amount, currency),
      created: now(),
      currency,
      description: str(p, "description") ?? null,
      destination,
      destination_payment: randomId("py"),
      livemode: false,
      metadata: metadataOf(p),
      reversals: { object: "list", data: [], has_more: false, total_count: 0, url: `/v1/transfers/${id}/reversals` },
      reversed: false,
      source_transaction: source ?? null,
      source_type: "card",
      transfer_group: str(p, "transfer_group") ?? null,
    };
    transfers.set(id, t);
    return t;
  }

  function transfer(id: string): Transfer {
    const t = transfers.get(id);
    if (!t) {
      throw new StripeFault(404, {
        type: "invalid_request_error",
        code: "resource_missing",
        param: "id",
        message: `No such transfer: '${id}'`,
      });
    }
    return t;
  }

  function listTransfers(p: Params) {
    const group = str(p, "transfer_group");
    const dest = str(p, "destination");
    const all = [...transfers.values()]
      .reverse()
      .filter(
        (t) => (!group || t.transfer_group === group) && (!dest || t.destination === dest) && inCreated(p, t.created),
      );
    return listOf("/v1/transfers", all, p);
  }

  function createReversal(id: string, p: Params): TransferReversal {
    const t = transfer(id);
    const left = t.amount - t.amount_reversed;
    const amount = positiveInt(p, "amount", false) ?? left;
    if (amount > left) {
      throw invalid(`Amount (${amount}) is greater than the unreversed amount of the transfer (${left}).`, {
        code: "amount_too_large",
        param: "amount",
      });
    }
    if (accountAvailable(t.destination) < amount) {
      throw new StripeFault(
        400,
        {
          type: "invalid_request_error",
          message: `Insufficient funds in the connected account ${t.destination} to reverse ${amount} ${t.currency}.`,
          code: "balance_insufficient",
        },
        true,
      );
    }
    const rid = randomId("trr");
    const r: TransferReversal = {
      id: rid,
      object: "transfer_reversal",
      amount,
      balance_transaction: book("transfer_refund", rid, amount, t.currency),
      created: now(),
      currency: t.currency,
      destination_payment_refund: randomId("pyr"),
      metadata: metadataOf(p),
      source_refund: null,
      transfer: t.id,
    };
    t.amount_reversed += amount;
    t.reversed = t.amount_reversed === t.amount;
    t.reversals.data.unshift(r);
    t.reversals.total_count += 1;
    return r;
  }

  function balanceOf(accountId: string | null) {
    const currency = accountId ? account(accountId).default_currency : "inr";
    const amount = accountId ? accountAvailable(accountId) : platformAvailable();
    return {
      object: "balance",
      available: [{ amount, currency, source_types: { card: amount } }],
      livemode: false,
      pending: [{ amount: 0, currency, source_types: { card: 0 } }],
    };
  }

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
    const least = MIN_CHARGE[currency] ?? 1;
    if (amount < least) {
      throw invalid(`Amount must be at least ${least} ${currency}`, { param: "amount", code: "amount_too_small" });
    }
    if (amount > MAX_CHARGE) {
      throw invalid(`Amount must be no more than ${MAX_CHARGE} ${currency}`, {
        param: "amount",
        code: "amount_too_large",
      });
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
    const refuseAs = behaviours.get(pi.id)?.refuseRefundsAs;
    if (refuseAs) {
      throw new StripeFault(
        400,
        {
          type: "invalid_request_error",
          code: refuseAs,
          message: `The fake refuses refunds of ${pi.id} (${refuseAs}).`,
        },
        true,
      );
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
    book("refund", refund.id, -amount, pi.currency);
    refundedOf.set(pi.id, refunded + amount);
    const failsAs = behaviours.get(pi.id)?.refundsFailAs;
    return failsAs ? failRefund(refund.id, failsAs).refund : refund;
  }

  /** A refund failing after it was made, as a closed card does days later: its amount is the charge's again. */
  function failRefund(id: string, reason: string) {
    const refund = refunds.get(id);
    if (!refund) throw new StripeFault(404, { type: "invalid_request_error", message: `No such refund: '${id}'` });
    if (refund.status === "succeeded") {
      refund.status = "failed";
      refund.failure_reason = reason;
      refundedOf.set(refund.payment_intent, (refundedOf.get(refund.payment_intent) ?? 0) - refund.amount);
      book("refund_failure", refund.id, refund.amount, refund.currency);
    }
    return { refund, event: event("refund.failed", refund) };
  }

  function event(type: string, pi: PaymentIntent | Account | Transfer | Refund) {
    return {
      id: randomId("evt"),
      object: "event",
      api_version: "2026-01-01",
      created: now(),
      data: { object: structuredClone(pi) },
      // Events of a connected account name it; they reach the platform's Connect endpoint.
      ...(pi.object === "account" ? { account: pi.id } : {}),
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
        charges.set(pi.latest_charge, { amount: pi.amount, currency: pi.currency, transferred: 0 });
        book("charge", pi.latest_charge, pi.amount, pi.currency, Math.round(pi.amount * 0.02) + 300);
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
    if (key !== null && (key.length === 0 || key.length > 255)) {
      throw new StripeFault(400, {
        type: "invalid_request_error",
        message: "Idempotency keys must be between 1 and 255 characters long.",
      });
    }
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
    let result: string;
    try {
      result = JSON.stringify(run());
    } catch (err) {
      // A refusal the endpoint made while running (a reversal the account's balance cannot cover) is
      // saved like a result: the same key answers it again, and with other parameters is an idempotency_error.
      if (slot && err instanceof StripeFault && err.kept) {
        idempotent.set(slot, { fingerprint, status: err.status, body: JSON.stringify({ error: err.error }) });
      }
      throw err;
    }
    // Stripe saves the result once the endpoint started executing; refusals of the request itself are not saved.
    if (slot) idempotent.set(slot, { fingerprint, status: 200, body: result });
    return json(200, result, key ? { "idempotency-key": key } : {});
  }

  /** The Connect endpoints; null when the path is not one of them. */
  async function connectRoute(
    req: Request,
    path: string,
    body: string,
    p: Params,
    [resource, id, action, sub, ...rest]: (string | undefined)[],
  ): Promise<Response | null> {
    if (rest.length > 0) return null;
    const post = req.method === "POST";
    const get = req.method === "GET";
    if (resource === "accounts" && !action) {
      if (post && !id) return once(req, path, body, () => createAccount(p));
      if (get && id && (failingReads.get(id) ?? 0) > 0) {
        failingReads.set(id, failingReads.get(id)! - 1);
        return json(
          503,
          { error: { type: "api_error", message: "The fake is set to fail reads of this account." } },
          { "stripe-should-retry": "false" },
        );
      }
      if (get && id) return json(200, account(id));
    }
    if (resource === "account_links" && post && !id) return once(req, path, body, () => createAccountLink(p));
    if (resource === "transfers") {
      if (post && !id) return once(req, path, body, () => createTransfer(p));
      if (get && !id) return json(200, listTransfers(p));
      if (get && id && !action) return json(200, transfer(id));
      if (post && id && action === "reversals" && !sub) return once(req, path, body, () => createReversal(id, p));
    }
    if (resource === "balance" && get && !id) return json(200, balanceOf(req.headers.get("stripe-account")));
    if (resource === "balance_transactions" && get && !id) {
      return json(
        200,
        listOf(
          "/v1/balance_transactions",
          balanceTransactions.filter((t) => inCreated(p, t.created)),
          p,
        ),
      );
    }
    return null;
  }

  async function handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const path = url.pathname;
    const body = req.method === "POST" ? await req.text() : "";
    try {
      if (path === "/_fake/requests" && req.method === "GET") {
        return json(
          200,
          requests.filter((r) => r.path === url.searchParams.get("path")),
        );
      }
      const acct = path.match(/^\/_fake\/accounts\/([^/]+)\/(onboard|payout|fail-reads)$/);
      if (acct?.[2] === "fail-reads" && req.method === "POST") {
        failingReads.set(acct[1]!, (JSON.parse(body) as { times: number }).times);
        return json(200, {});
      }
      if (acct && req.method === "POST") {
        if (acct[2] === "onboard") return json(200, onboard(acct[1]!));
        const amount = accountAvailable(acct[1]!);
        paidOut.set(acct[1]!, (paidOut.get(acct[1]!) ?? 0) + amount);
        return json(200, { paidOutMinor: amount });
      }
      const failing = path.match(/^\/_fake\/refunds\/([^/]+)\/fail$/);
      if (failing && req.method === "POST") {
        const { reason } = JSON.parse(body) as { reason: string };
        return json(200, failRefund(failing[1]!, reason));
      }
      if (path.startsWith("/_fake/")) {
        const m = path.match(/^\/_fake\/payment_intents\/([^/]+)\/(outcome|behaviour|refunds)$/);
        if (m?.[2] === "refunds" && req.method === "GET") {
          const of = [...refunds.values()].filter((r) => r.payment_intent === m[1]);
          return json(200, { count: of.length, amountMinor: of.reduce((n, r) => n + r.amount, 0) });
        }
        if (!m || req.method !== "POST") throw new StripeFault(404, { type: "invalid_request_error", message: path });
        if (m[2] === "behaviour") {
          const b = JSON.parse(body) as Partial<Behaviour>;
          const next = {
            delayMs: b.delayMs ?? 0,
            failRefunds: b.failRefunds ?? false,
            refundsFailAs: b.refundsFailAs ?? null,
            refuseRefundsAs: b.refuseRefundsAs ?? null,
            loseRefundAnswers: b.loseRefundAnswers ?? false,
          };
          behaviours.set(m[1]!, next);
          return json(200, next);
        }
        const { outcome } = JSON.parse(body) as { outcome: FakeOutcome };
        return json(200, settle(m[1]!, outcome));
      }
      if (!/^Bearer sk_test_/.test(req.headers.get("authorization") ?? "")) {
        throw new StripeFault(401, { type: "authentication_error", message: "Invalid API Key provided." });
      }
      const params = parseForm(req.method === "GET" ? url.search.slice(1) : body);
      const stripeAccount = req.headers.get("stripe-account");
      requests.push({
        method: req.method,
        path,
        params,
        idempotencyKey: req.headers.get("idempotency-key"),
        stripeAccount,
      });
      const [, v1, resource, id, action, ...rest] = path.split("/");
      const connect = v1 === "v1" ? await connectRoute(req, path, body, params, [resource, id, action, ...rest]) : null;
      if (connect) return connect;
      if (v1 === "v1" && rest.length === 0 && resource === "payment_intents") {
        if (req.method === "POST" && !id) return once(req, path, body, () => createIntent(params));
        if (req.method === "GET" && id && !action) return json(200, intent(id));
        if (req.method === "POST" && id && action === "cancel") {
          const refused = await behave(id, "cancel");
          if (refused) return refused;
          return once(req, path, body, () => cancelIntent(id, params));
        }
      }
      if (v1 === "v1" && resource === "refunds" && req.method === "GET" && id === undefined) {
        // Newest first, as Stripe lists them; `payment_intent` and `charge` narrow the list.
        const pi = str(params, "payment_intent");
        const charge = str(params, "charge");
        const of = [...refunds.values()]
          .filter((r) => (!pi || r.payment_intent === pi) && (!charge || r.charge === charge))
          .reverse();
        return json(200, listOf("/v1/refunds", of, params));
      }
      if (v1 === "v1" && resource === "refunds" && req.method === "POST" && id === undefined) {
        const intentId = str(params, "payment_intent");
        const refused = await behave(intentId, "refund");
        if (refused) return refused;
        const made = once(req, path, body, () => createRefund(params));
        if (intentId && behaviours.get(intentId)?.loseRefundAnswers) {
          return json(
            503,
            { error: { type: "api_error", message: "The fake made this refund and lost its answer." } },
            { "stripe-should-retry": "false" },
          );
        }
        return made;
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

  return { handle, intents, refunds, accounts, transfers };
}
