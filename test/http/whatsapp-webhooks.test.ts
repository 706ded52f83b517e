import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/dev/index";
import { signHmacSha256 } from "../../src/domain/hmac";
import { api, uid } from "../support/api";
import { statusDelivery } from "../support/whatsapp";

// This project configures no WhatsApp webhook (nor email): these tests run the Worker on an env of
// their own that does, as a deployment with both would.
const APP_SECRET = "test-whatsapp-app-secret";
const VERIFY_TOKEN = "test-whatsapp-verify-token";
const HOOKED = {
  ...env,
  WHATSAPP_APP_SECRET: APP_SECRET,
  WHATSAPP_VERIFY_TOKEN: VERIFY_TOKEN,
  EMAIL_API_KEY: "re_test_key",
  EMAIL_FROM: "Edge OMS <orders@oms.test>",
} as Env;
const NO_EMAIL = { ...env, WHATSAPP_APP_SECRET: APP_SECRET, WHATSAPP_VERIFY_TOKEN: VERIFY_TOKEN } as Env;

async function call(
  e: Env,
  method: string,
  path: string,
  init: { headers?: Record<string, string>; body?: string | Uint8Array },
) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request(`https://oms.test${path}`, { method, headers: init.headers, body: init.body }),
    e,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  const text = await res.text();
  let body: any = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {}
  return { status: res.status, headers: res.headers, body };
}

/** Meta's POST: `body` as it is sent, signed with `secret` unless a signature is given. */
async function deliver(
  body: unknown,
  opts: { e?: Env; secret?: string; signature?: string | null; raw?: string | Uint8Array } = {},
) {
  const text = opts.raw ?? JSON.stringify(body);
  const headers: Record<string, string> = { "content-type": "application/json" };
  const signature =
    opts.signature === undefined ? await signHmacSha256(opts.secret ?? APP_SECRET, text) : opts.signature;
  if (signature !== null) headers["x-hub-signature-256"] = signature;
  return call(opts.e ?? HOOKED, "POST", "/v1/webhooks/whatsapp", { headers, body: text });
}

type StatusEntry = {
  id: string;
  status: string;
  errors?: { code: number; title: string; message?: string; error_data?: { details: string } }[];
  biz_opaque_callback_data?: string;
};

/** One status in a `messages` change, wrapped as Meta wraps it. */
const delivery = (...statuses: StatusEntry[]) =>
  statusDelivery(
    statuses.map((s) => ({
      timestamp: "1750857384",
      recipient_id: "919845015555",
      conversation: { id: "a75d17ad06104c51166f948319b03c6a", origin: { type: "utility" } },
      pricing: { billable: true, pricing_model: "CBP", category: "utility" },
      ...s,
    })),
  );

const undeliverable = (id: string, thread?: string): StatusEntry => ({
  id,
  status: "failed",
  errors: [
    {
      code: 131026,
      title: "Message undeliverable",
      message: "Message undeliverable",
      error_data: { details: "Message Undeliverable." },
    },
  ],
  ...(thread ? { biz_opaque_callback_data: thread } : {}),
});

/**
 * A WhatsApp message the sender handed to Meta, recorded as sent under its wamid, to a shopper who
 * also gave an email address.
 */
async function sentMessage(contact: { email?: string } = { email: `shopper-${uid()}@example.com` }, attempts = 1) {
  const shopper = await api("POST", "/v1/customers", {
    body: { name: "Landline Shopper", phone: "+91 80 4110 5555", ...contact },
  });
  expect(shopper.status).toBe(201);
  const id = uid("ntf_wa");
  const wamid = `wamid.${uid()}`;
  const thread = `order:${uid("ord")}`;
  await env.DB.prepare(
    "insert into notifications (id, customer_id, thread_key, channel, recipient, template, priority, payload, status, attempts, provider_ref, dedupe_key, created_at, sent_at, last_attempt_at) values (?, ?, ?, 'whatsapp', '+91 80 4110 5555', 'order_confirmed', 0, ?, 'sent', ?, ?, ?, '2026-11-20T10:00:00Z', '2026-11-20T10:00:05Z', '2026-11-20T10:00:05Z')",
  )
    .bind(
      id,
      shopper.body.customerId,
      thread,
      JSON.stringify({ params: { orderId: "ord_x", shipments: "1" }, text: "Confirmed" }),
      attempts,
      wamid,
      `dedupe:${id}`,
    )
    .run();
  return { id, wamid, thread, email: contact.email, customerId: shopper.body.customerId as string };
}

const rowsOf = async (customerId: string) =>
  (
    await env.DB.prepare(
      "select id, channel, recipient, status, error, provider_ref as providerRef, dedupe_key as dedupeKey, template from notifications where customer_id = ? order by channel desc",
    )
      .bind(customerId)
      .all<Record<string, string | null>>()
  ).results;

describe("WhatsApp status webhook: a message Meta accepted but could not deliver", () => {
  it("is marked failed with Meta's reason and goes by email instead, once however often Meta says so", async () => {
    const m = await sentMessage();
    const first = await deliver(delivery(undeliverable(m.wamid, m.thread)));
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ received: true });

    let rows = await rowsOf(m.customerId);
    expect(rows).toHaveLength(2);
    const [wa, mail] = rows;
    expect(wa).toMatchObject({ id: m.id, channel: "whatsapp", status: "failed", providerRef: m.wamid });
    expect(wa!.error).toContain("131026");
    expect(wa!.error).toContain("Message undeliverable");
    expect(mail).toMatchObject({
      channel: "email",
      recipient: m.email,
      status: "queued",
      template: "order_confirmed",
      dedupeKey: `dedupe:${m.id}:email`,
    });

    // Meta redelivers until it sees a 200, and may send the same status twice anyway.
    for (let i = 0; i < 2; i++) expect((await deliver(delivery(undeliverable(m.wamid, m.thread)))).status).toBe(200);
    rows = await rowsOf(m.customerId);
    expect(rows).toHaveLength(2);
    expect(rows[0]!.error).toBe(wa!.error);
  });

  it("is failed without an email when the shopper gave none, or when email is not configured", async () => {
    const phoneOnly = await sentMessage({});
    expect((await deliver(delivery(undeliverable(phoneOnly.wamid)))).status).toBe(200);
    expect(await rowsOf(phoneOnly.customerId)).toEqual([expect.objectContaining({ status: "failed" })]);

    const noEmail = await sentMessage();
    expect((await deliver(delivery(undeliverable(noEmail.wamid)), { e: NO_EMAIL })).status).toBe(200);
    expect(await rowsOf(noEmail.customerId)).toEqual([expect.objectContaining({ status: "failed" })]);
  });

  it("keeps a failure of the message itself as failed, without an email", async () => {
    const m = await sentMessage();
    const r = await deliver(
      delivery({
        id: m.wamid,
        status: "failed",
        errors: [{ code: 132000, title: "Number of parameters does not match the expected number of params" }],
      }),
    );
    expect(r.status).toBe(200);
    const rows = await rowsOf(m.customerId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: "failed", error: expect.stringContaining("132000") });
  });
});

const retryOf = (id: string) =>
  env.DB.prepare(
    "select status, attempts, error, next_attempt_at as nextAttemptAt, sent_at as sentAt, provider_ref as providerRef from notifications where id = ?",
  )
    .bind(id)
    .first<{ status: string; attempts: number; error: string | null; nextAttemptAt: string | null }>();

describe("WhatsApp status webhook: a failure about our account or a passing limit, not the recipient", () => {
  // The codes a send is retried for (channels/whatsapp.ts), which Meta also reports after taking a send.
  const passing = [
    [131031, "Business Account locked"],
    [131042, "Business eligibility payment issue"],
    [131048, "Spam rate limit hit"],
    [131056, "(Business Account, Consumer Account) pair rate limit hit"],
    [130429, "Rate limit hit"],
    [190, "Access token has expired"],
    [132001, "Template name does not exist in the translation"],
  ] as const;

  it("queues the message again under the sender's schedule, without an email, once however often Meta says so", async () => {
    for (const [code, title] of passing) {
      const m = await sentMessage();
      const report = delivery({ id: m.wamid, status: "failed", errors: [{ code, title }] });
      const before = Date.now();
      expect((await deliver(report)).status, String(code)).toBe(200);
      const after = Date.now();
      const row = await retryOf(m.id);
      expect(row, String(code)).toMatchObject({
        status: "queued",
        // The send Meta reported is the attempt the sender counted when it claimed the message.
        attempts: 1,
        error: expect.stringContaining(String(code)),
        sentAt: null,
        providerRef: m.wamid,
      });
      // The sender's first pause: a minute.
      const due = Date.parse(row!.nextAttemptAt!);
      expect(due, String(code)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 60_000);
      expect(due, String(code)).toBeLessThanOrEqual(after + 60_000);
      expect((await rowsOf(m.customerId)).map((r) => r.channel)).toEqual(["whatsapp"]);

      // Meta delivers again: the message is queued once, its retry not pushed back.
      expect((await deliver(report)).status).toBe(200);
      expect(await retryOf(m.id)).toEqual(row);
    }
  });

  it("waits longer after each attempt, as the sender does", async () => {
    const m = await sentMessage(undefined, 4);
    const before = Date.now();
    await deliver(
      delivery({ id: m.wamid, status: "failed", errors: [{ code: 131048, title: "Spam rate limit hit" }] }),
    );
    const row = await retryOf(m.id);
    expect(row).toMatchObject({ status: "queued", attempts: 4 });
    // 1, 2, 4, 8 minutes: the fourth attempt waits eight.
    const due = Date.parse(row!.nextAttemptAt!);
    expect(due).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 8 * 60_000);
    expect(due).toBeLessThanOrEqual(Date.now() + 8 * 60_000);
  });

  it("fails the message and sends it by email instead once its attempts are spent, as the sender would", async () => {
    const m = await sentMessage(undefined, 10);
    const r = await deliver(
      delivery({
        id: m.wamid,
        status: "failed",
        errors: [{ code: 131042, title: "Business eligibility payment issue" }],
      }),
    );
    expect(r.status).toBe(200);
    const rows = await rowsOf(m.customerId);
    expect(rows.map((x) => [x.channel, x.status])).toEqual([
      ["whatsapp", "failed"],
      ["email", "queued"],
    ]);
    expect(rows[0]!.error).toContain("131042");
    expect(rows[1]).toMatchObject({ recipient: m.email, dedupeKey: `dedupe:${m.id}:email` });
  });
});

describe("WhatsApp status webhook: what changes nothing", () => {
  it("sent, delivered and read statuses, statuses of unknown messages, and other fields are acknowledged", async () => {
    const m = await sentMessage();
    for (const status of ["sent", "delivered", "read", "deleted"]) {
      expect((await deliver(delivery({ id: m.wamid, status }))).status).toBe(200);
    }
    const unknown = await deliver(
      delivery(undeliverable(`wamid.${uid()}`), undeliverable(`wamid.${uid()}`, "order:none")),
    );
    expect(unknown.status).toBe(200);
    const otherField = await deliver({
      object: "whatsapp_business_account",
      entry: [
        { id: "1", changes: [{ field: "message_template_status_update", value: { event: "APPROVED", statuses: 3 } }] },
      ],
    });
    expect(otherField.status).toBe(200);
    const inbound = await deliver({
      object: "whatsapp_business_account",
      entry: [
        {
          id: "1",
          changes: [
            {
              field: "messages",
              value: { messages: [{ from: "919845015555", id: "wamid.in", type: "text", text: { body: "hi" } }] },
            },
          ],
        },
      ],
    });
    expect(inbound.status).toBe(200);
    expect(await rowsOf(m.customerId)).toEqual([expect.objectContaining({ status: "sent", error: null })]);
  });

  it("a delivered status after the failure does not revive the message", async () => {
    const m = await sentMessage();
    await deliver(delivery(undeliverable(m.wamid)));
    expect((await deliver(delivery({ id: m.wamid, status: "delivered" }))).status).toBe(200);
    expect((await rowsOf(m.customerId))[0]).toMatchObject({ channel: "whatsapp", status: "failed" });
  });
});

describe("WhatsApp status webhook: a failure reported before the sender recorded the wamid", () => {
  it("is refused while that thread's message is out, so Meta delivers it again, and applied then", async () => {
    const shopper = await api("POST", "/v1/customers", {
      body: { name: "Quick Report", phone: "+91 80 4110 6666", email: `quick-${uid()}@example.com` },
    });
    const id = uid("ntf_wa");
    const wamid = `wamid.${uid()}`;
    const thread = `order:${uid("ord")}`;
    // Claimed by a sender that has not recorded this send yet: leased, no wamid.
    await env.DB.prepare(
      "insert into notifications (id, customer_id, thread_key, channel, recipient, template, priority, payload, status, attempts, lease_until, dedupe_key, created_at, last_attempt_at) values (?, ?, ?, 'whatsapp', '+91 80 4110 6666', 'order_confirmed', 0, '{}', 'queued', 1, '2999-01-01T00:00:00Z', ?, '2026-11-20T10:00:00Z', '2026-11-20T10:00:05Z')",
    )
      .bind(id, shopper.body.customerId, thread, `dedupe:${id}`)
      .run();
    const early = await deliver(delivery(undeliverable(wamid, thread)));
    expect(early.status).toBe(409);
    expect(early.headers.get("content-type")).toContain("application/problem+json");
    expect(await rowsOf(shopper.body.customerId)).toEqual([expect.objectContaining({ status: "queued" })]);

    // The sender records the send.
    await env.DB.prepare(
      "update notifications set status = 'sent', provider_ref = ?, lease_until = null, sent_at = '2026-11-20T10:00:05Z' where id = ?",
    )
      .bind(wamid, id)
      .run();
    expect((await deliver(delivery(undeliverable(wamid, thread)))).status).toBe(200);
    const rows = await rowsOf(shopper.body.customerId);
    expect(rows.map((r) => [r.channel, r.status])).toEqual([
      ["whatsapp", "failed"],
      ["email", "queued"],
    ]);
  });
});

/**
 * The real D1 binding, with `commit` run and committed just before the first statement whose SQL
 * matches `at` executes: a sender's write landing at that moment of the webhook's handling, as one
 * running at the same time can.
 */
function committingBefore(db: D1Database, at: RegExp, commit: () => Promise<unknown>): D1Database {
  let done = false;
  const passOn = (target: object, prop: string | symbol) => {
    const v = Reflect.get(target, prop, target);
    return typeof v === "function" ? v.bind(target) : v;
  };
  const hooked = (stmt: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(stmt, {
      get(target, prop) {
        if (prop === "bind") return (...values: unknown[]) => hooked(target.bind(...values));
        if (prop === "all" || prop === "raw" || prop === "first" || prop === "run") {
          return async (...args: unknown[]) => {
            if (!done) {
              done = true;
              await commit();
            }
            return (target as any)[prop](...args);
          };
        }
        return passOn(target, prop);
      },
    });
  return new Proxy(db, {
    get(target, prop) {
      if (prop !== "prepare") return passOn(target, prop);
      return (query: string) => (at.test(query) ? hooked(target.prepare(query)) : target.prepare(query));
    },
  });
}

describe("WhatsApp status webhook: a failure reported as the sender records the wamid", () => {
  it("is applied, not dropped, when the record commits while the webhook looks for the message", async () => {
    const shopper = await api("POST", "/v1/customers", {
      body: { name: "Racing Report", phone: "+91 80 4110 6667", email: `race-${uid()}@example.com` },
    });
    const id = uid("ntf_wa");
    const wamid = `wamid.${uid()}`;
    const thread = `order:${uid("ord")}`;
    await env.DB.prepare(
      "insert into notifications (id, customer_id, thread_key, channel, recipient, template, priority, payload, status, attempts, lease_until, dedupe_key, created_at, last_attempt_at) values (?, ?, ?, 'whatsapp', '+91 80 4110 6667', 'order_confirmed', 0, '{}', 'queued', 1, '2999-01-01T00:00:00Z', ?, '2026-11-20T10:00:00Z', '2026-11-20T10:00:05Z')",
    )
      .bind(id, shopper.body.customerId, thread, `dedupe:${id}`)
      .run();
    // The sender records the send just as the webhook checks whether a message of the thread is out.
    const record = () =>
      env.DB.prepare(
        "update notifications set status = 'sent', provider_ref = ?, lease_until = null, sent_at = '2026-11-20T10:00:05Z' where id = ?",
      )
        .bind(wamid, id)
        .run();
    const racing = { ...HOOKED, DB: committingBefore(env.DB, /lease_until"? > /, record) } as Env;
    expect((await deliver(delivery(undeliverable(wamid, thread)), { e: racing })).status).toBe(200);
    const rows = await rowsOf(shopper.body.customerId);
    expect(rows.map((r) => [r.channel, r.status])).toEqual([
      ["whatsapp", "failed"],
      ["email", "queued"],
    ]);
  });
});

describe("WhatsApp status webhook: authenticity and shape", () => {
  it("refuses a missing, malformed or wrong signature, and a body changed after signing, changing nothing", async () => {
    const m = await sentMessage();
    const body = JSON.stringify(delivery(undeliverable(m.wamid)));
    const signed = await signHmacSha256(APP_SECRET, body);
    const attempts: { signature: string | null; raw?: string }[] = [
      { signature: null },
      { signature: "sha256=" },
      { signature: "sha256=zz" },
      { signature: signed.slice(7) },
      { signature: `sha1=${signed.slice(7)}` },
      { signature: await signHmacSha256("another-app-secret", body) },
      { signature: signed, raw: body.replace("131026", "131027") },
      { signature: signed, raw: `${body} ` },
    ];
    for (const a of attempts) {
      const r = await deliver(undefined, { signature: a.signature, raw: a.raw ?? body });
      expect(r.status, JSON.stringify(a)).toBe(400);
      expect(r.headers.get("content-type")).toContain("application/problem+json");
      expect(r.body.code).toBe("BAD_SIGNATURE");
    }
    expect(await rowsOf(m.customerId)).toEqual([expect.objectContaining({ status: "sent" })]);
  });

  it("verifies the exact bytes: a body with non-ASCII text signed as sent is taken", async () => {
    const m = await sentMessage();
    const raw = JSON.stringify(
      delivery({ id: m.wamid, status: "failed", errors: [{ code: 131026, title: "Mensaje no entregable — número" }] }),
    );
    expect((await deliver(undefined, { raw })).status).toBe(200);
    expect((await rowsOf(m.customerId))[0]!.error).toContain("número");
  });

  it("answers a signed body that is no WhatsApp delivery with a 422 problem, never a 500", async () => {
    const bodies = [
      "not json",
      "[]",
      JSON.stringify({ object: "page", entry: [] }),
      JSON.stringify({ object: "whatsapp_business_account" }),
      JSON.stringify({ object: "whatsapp_business_account", entry: [{ changes: [{ field: "messages" }] }] }),
      JSON.stringify(delivery({ id: "", status: "failed" })),
      JSON.stringify({
        object: "whatsapp_business_account",
        entry: [
          {
            changes: [
              {
                field: "messages",
                value: { statuses: [{ id: "wamid.x", status: "failed", errors: [{ code: "x" }] }] },
              },
            ],
          },
        ],
      }),
      JSON.stringify({
        object: "whatsapp_business_account",
        entry: [{ changes: [{ field: "messages", value: { statuses: "wamid.x" } }] }],
      }),
    ];
    for (const raw of bodies) {
      const r = await deliver(undefined, { raw });
      expect(r.status, raw).toBe(422);
      expect(r.headers.get("content-type")).toContain("application/problem+json");
      expect(r.body.code).toBe("VALIDATION_FAILED");
    }
    // Not UTF-8, though signed as sent.
    expect((await deliver(undefined, { raw: new Uint8Array([0x7b, 0xff, 0x7d]) })).status).toBe(422);
  });
});

describe("WhatsApp webhook subscription check", () => {
  const check = (e: Env, q: Record<string, string>) =>
    call(e, "GET", `/v1/webhooks/whatsapp?${new URLSearchParams(q)}`, {});

  it("echoes the challenge to Meta's subscribe request with our verify token, and refuses anything else", async () => {
    const ok = await check(HOOKED, {
      "hub.mode": "subscribe",
      "hub.verify_token": VERIFY_TOKEN,
      "hub.challenge": "1158201444",
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toContain("text/plain");
    expect(ok.body).toBe(1158201444);
    const refused: Record<string, string>[] = [
      { "hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1" },
      { "hub.mode": "subscribe", "hub.verify_token": `${VERIFY_TOKEN}x`, "hub.challenge": "1" },
      { "hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1" },
      { "hub.mode": "subscribe", "hub.challenge": "1" },
      { "hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN },
    ];
    for (const q of refused) {
      const r = await check(HOOKED, q);
      expect(r.status, JSON.stringify(q)).toBe(403);
      expect(r.headers.get("content-type")).toContain("application/problem+json");
    }
  });

  it("is not there on a deployment without the app secret and verify token", async () => {
    const get = await api(
      "GET",
      `/v1/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1`,
    );
    expect(get.status).toBe(404);
    expect(get.headers.get("content-type")).toContain("application/problem+json");
    const body = JSON.stringify(delivery(undeliverable("wamid.any")));
    const post = await api("POST", "/v1/webhooks/whatsapp", {
      rawBody: body,
      headers: { "content-type": "application/json", "x-hub-signature-256": await signHmacSha256(APP_SECRET, body) },
    });
    expect(post.status).toBe(404);
    expect(post.headers.get("content-type")).toContain("application/problem+json");
    const half = { ...env, WHATSAPP_APP_SECRET: APP_SECRET } as Env;
    expect((await deliver(delivery(undeliverable("wamid.any")), { e: half })).status).toBe(404);
  });
});
