import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { sendNotifications } from "../../src/jobs/notification-sender";
import { config } from "../../src/platform/config";
import { queueMessages } from "../support/notifications";

const fakeBase = () => config(env).whatsapp!.apiBase;

/** What the fake received for a recipient: a phone number (as typed, with its +) or an email address. */
async function sentTo(recipient: string) {
  const all = (await (await fetch(`${fakeBase()}/_fake/requests`)).json()) as { body: any; status: number }[];
  const digits = recipient.replace(/\D/g, "");
  return all.filter((r) => (recipient.startsWith("+") ? r.body?.to === digits : r.body?.to?.[0] === recipient));
}

/** Makes the fake answer these statuses (or Graph API codes) to a recipient's next messages. */
const script = (recipient: string, statuses: number[]) =>
  fetch(`${fakeBase()}/_fake/script`, {
    method: "POST",
    body: JSON.stringify({ recipient: recipient.startsWith("+") ? recipient.replace(/\D/g, "") : recipient, statuses }),
  });

const row = (id: string) =>
  env.DB.prepare(
    "select status, attempts, error, next_attempt_at as nextAttemptAt, lease_until as leaseUntil from notifications where id = ?",
  )
    .bind(id)
    .first<{ status: string; attempts: number; error: string | null; nextAttemptAt: string | null }>();

// Each test runs the sender on a day of its own, so per-minute limits never meet.
const at = (day: number, m = 0, s = 5) => new Date(Date.UTC(2032, 0, day, 0, m, s));

describe("a refusal about the provider account, not the message", () => {
  it("keeps messages queued while the WhatsApp token is expired or the Resend key revoked, and sends them once replaced", async () => {
    const phone = "+91 98460 00001";
    const email = "account-1@example.com";
    await queueMessages(
      [
        { id: "acct-wa-1", channel: "whatsapp", recipient: phone },
        { id: "acct-em-1", channel: "email", recipient: email },
      ],
      "2032-01-01T00:00:00Z",
    );
    // Meta answers an expired token with HTTP 401 and code 190; Resend a bad key with 401.
    const expired = { ...env, WHATSAPP_TOKEN: "expired-token", EMAIL_API_KEY: "re_revoked" } as Env;
    expect(await sendNotifications(expired, at(1))).toMatchObject({ sent: 0, retrying: 2, failed: 0 });
    expect(await row("acct-wa-1")).toMatchObject({
      status: "queued",
      attempts: 1,
      error: expect.stringContaining("190"),
      nextAttemptAt: "2032-01-01T00:01:05Z",
    });
    expect(await row("acct-em-1")).toMatchObject({
      status: "queued",
      attempts: 1,
      error: expect.stringContaining("401"),
      nextAttemptAt: "2032-01-01T00:01:05Z",
    });

    // An operator replaces the token and the key: the next try after the pause sends each once.
    expect(await sendNotifications(env, at(1, 1))).toMatchObject({ sent: 2, retrying: 0, failed: 0 });
    expect(await row("acct-wa-1")).toMatchObject({ status: "sent", attempts: 2 });
    expect(await row("acct-em-1")).toMatchObject({ status: "sent", attempts: 2 });
    expect((await sentTo(phone)).map((r) => r.status)).toEqual([401, 200]);
    expect((await sentTo(email)).map((r) => r.status)).toEqual([401, 200]);
  });

  it("retries a locked account, an unpaid bill and an unverified sending domain; fails a recipient's refusal for good", async () => {
    const locked = "+91 98460 00011";
    const unpaid = "+91 98460 00012";
    const noWhatsApp = "+91 98460 00013";
    const domain403 = "account-2@example.com";
    const from422 = "account-3@example.com";
    const notAnAddress = "account-4.example.com";
    await queueMessages(
      [
        { id: "acct-wa-locked", channel: "whatsapp", recipient: locked },
        { id: "acct-wa-unpaid", channel: "whatsapp", recipient: unpaid },
        { id: "acct-wa-none", channel: "whatsapp", recipient: noWhatsApp },
        { id: "acct-em-domain", channel: "email", recipient: domain403 },
        { id: "acct-em-from", channel: "email", recipient: from422 },
        { id: "acct-em-invalid", channel: "email", recipient: notAnAddress },
      ],
      "2032-01-02T00:00:00Z",
    );
    await script(locked, [131031]);
    await script(unpaid, [131042]);
    await script(noWhatsApp, [131026]);
    await script(domain403, [403]);
    // Resend's 422 about the `from` domain: our sender, not the shopper's address.
    await script(from422, [400]);

    expect(await sendNotifications(env, at(2))).toMatchObject({ sent: 0, retrying: 4, failed: 2 });
    for (const [id, code] of [
      ["acct-wa-locked", "131031"],
      ["acct-wa-unpaid", "131042"],
      ["acct-em-domain", "403"],
      ["acct-em-from", "422"],
    ] as const) {
      expect({ id, ...(await row(id)) }).toMatchObject({
        id,
        status: "queued",
        error: expect.stringContaining(code),
        nextAttemptAt: "2032-01-02T00:01:05Z",
      });
    }
    expect(await row("acct-wa-none")).toMatchObject({ status: "failed", error: expect.stringContaining("131026") });
    expect(await row("acct-em-invalid")).toMatchObject({ status: "failed", error: expect.stringContaining("`to`") });

    expect(await sendNotifications(env, at(2, 1))).toMatchObject({ sent: 4, retrying: 0, failed: 0 });
    expect((await sentTo(noWhatsApp)).map((r) => r.status)).toEqual([400]);
    expect((await sentTo(notAnAddress)).map((r) => r.status)).toEqual([422]);
  });
});

describe("outcomes", () => {
  it("are recorded as sends finish: a write that fails partway sends again only what was in flight", async () => {
    const rows = Array.from({ length: 20 }, (_, i) => ({
      id: `crash-${String(i).padStart(2, "0")}`,
      channel: "whatsapp" as const,
      recipient: `+91 98461 ${String(i).padStart(5, "0")}`,
    }));
    await queueMessages(rows, "2032-01-03T00:00:00Z");
    // A real D1 failure partway through the run: the write of one message's outcome is refused.
    await env.DB.prepare(
      "create trigger sender_test_refuse before update of status on notifications when new.id = 'crash-12' and new.status = 'sent' begin select raise(abort, 'sender-test: write refused'); end",
    ).run();
    try {
      await expect(sendNotifications(env, at(3))).rejects.toThrow(/write refused/);
    } finally {
      await env.DB.prepare("drop trigger sender_test_refuse").run();
    }
    const recorded = await env.DB.prepare(
      "select id from notifications where id like 'crash-%' and status = 'sent' order by id",
    ).all<{ id: string }>();
    const settled = new Set(recorded.results.map((r) => r.id));
    expect(settled.size).toBeGreaterThan(0);

    // The first sender after the lease sends what the failed run had not recorded.
    await sendNotifications(env, at(3, 10));
    const final = await env.DB.prepare(
      "select count(*) as n from notifications where id like 'crash-%' and status = 'sent'",
    ).first<{ n: number }>();
    expect(final!.n).toBe(20);
    const counts = await Promise.all(rows.map(async (r) => [r.id, (await sentTo(r.recipient)).length] as const));
    // Recorded before the failure: sent once. Sent twice: at most the eight in flight.
    expect(counts.filter(([id, n]) => settled.has(id) && n !== 1)).toEqual([]);
    expect(counts.filter(([, n]) => n === 0)).toEqual([]);
    expect(counts.filter(([, n]) => n > 1).length).toBeLessThanOrEqual(8);
  });
});

describe("the email pass's per-minute limit", () => {
  it("counts the minute it claims in, not the one the run was scheduled for, after a WhatsApp pass that ran past it", async () => {
    const phone = "+91 98462 00001";
    const email = "late-minute-1@example.com";
    // The run scheduled for 00:00 starts at 00:00:59 and WhatsApp takes two seconds: email claims at 00:01:01.
    await fetch(`${fakeBase()}/_fake/slow`, {
      method: "POST",
      body: JSON.stringify({ recipients: [phone.replace(/\D/g, "")], ms: 2_000 }),
    });
    await queueMessages(
      [
        { id: "late-wa", channel: "whatsapp", recipient: phone },
        { id: "late-em", channel: "email", recipient: email },
      ],
      "2032-01-04T00:00:00Z",
      // Ahead of anything an earlier test left queued.
      0,
    );
    // The sender of 00:01 has already handed Resend that minute's whole limit.
    const limit = config(env).notifyRatePerMinute;
    await env.DB.batch(
      Array.from({ length: limit }, (_, i) =>
        env.DB.prepare(
          "insert into notifications (id, thread_key, channel, recipient, template, priority, payload, status, attempts, dedupe_key, created_at, sent_at, last_attempt_at) values (?, 'order:x', 'email', ?, 'shipment_delivered', 3, '{}', 'sent', 1, ?, '2032-01-03T23:59:00Z', '2032-01-04T00:01:00Z', '2032-01-04T00:01:00Z')",
        ).bind(`minute-full-${i}`, `someone-${i}@example.com`, `sender-test:minute-full-${i}`),
      ),
    );
    await sendNotifications(env, at(4, 0, 59));
    expect(await row("late-wa")).toMatchObject({ status: "sent" });
    expect(await row("late-em")).toMatchObject({ status: "queued", attempts: 0 });
    expect(await sentTo(email)).toEqual([]);

    // The next minute has room.
    await sendNotifications(env, at(4, 2));
    expect(await row("late-em")).toMatchObject({ status: "sent", attempts: 1 });
    expect(await sentTo(email)).toHaveLength(1);
  });
});

describe("a template WhatsApp has not approved yet", () => {
  it("is retried, not failed for good, and goes out once the template is approved", async () => {
    // Between a deploy that names a new template and its approval in WhatsApp Manager, Meta answers
    // 132001: every such message, a phone-only shopper's only word, was lost.
    const phone = "+91 98460 00021";
    await queueMessages([{ id: "tmpl-wa-1", channel: "whatsapp", recipient: phone }], "2032-01-20T00:00:00Z", 0);
    await script(phone, [132001]);
    await sendNotifications(env, at(20));
    expect(await row("tmpl-wa-1")).toMatchObject({
      status: "queued",
      attempts: 1,
      error: expect.stringContaining("132001"),
      nextAttemptAt: "2032-01-20T00:01:05Z",
    });

    // Approved meanwhile: the next try after the pause sends it, once.
    await sendNotifications(env, at(20, 1));
    expect(await row("tmpl-wa-1")).toMatchObject({ status: "sent", attempts: 2 });
    expect((await sentTo(phone)).map((r) => r.status)).toEqual([400, 200]);
  });
});

describe("a channel switched off", () => {
  /** A shopper and their message queued on `channel`, as the outbox consumer routed it when it was on. */
  async function queuedFor(
    c: { id: string; email: string | null; phone: string | null },
    n: { id: string; channel: "whatsapp" | "email"; createdAt: string; extra?: Record<string, string | number> },
  ) {
    const cols = { attempts: 0, next_attempt_at: null, lease_until: null, error: null, ...n.extra };
    await env.DB.batch([
      env.DB.prepare(
        "insert or ignore into customers (id, name, email, phone, created_at) values (?, 'Switched Off', ?, ?, '2032-01-01T00:00:00Z')",
      ).bind(c.id, c.email, c.phone),
      env.DB.prepare(
        "insert into notifications (id, customer_id, thread_key, channel, recipient, template, priority, payload, attempts, next_attempt_at, lease_until, error, dedupe_key, created_at) values (?, ?, ?, ?, ?, 'shipment_delivered', 0, ?, ?, ?, ?, ?, ?, ?)",
      ).bind(
        n.id,
        c.id,
        `order:${n.id}`,
        n.channel,
        n.channel === "whatsapp" ? c.phone : c.email,
        JSON.stringify({ params: { orderId: n.id }, text: `A parcel of order ${n.id} was delivered.` }),
        cols.attempts,
        cols.next_attempt_at,
        cols.lease_until,
        cols.error,
        `sender-test:${n.id}`,
        n.createdAt,
      ),
    ]);
  }

  const routed = (id: string) =>
    env.DB.prepare(
      "select channel, recipient, status, attempts, error, next_attempt_at as nextAttemptAt from notifications where id = ?",
    )
      .bind(id)
      .first();

  it("moves what was queued for WhatsApp, waiting to retry or not, to email once the WhatsApp token is unset", async () => {
    // Meta blocked the account and an operator unset WHATSAPP_TOKEN: no sender claims WhatsApp now.
    const noWhatsApp = { ...env, WHATSAPP_TOKEN: "" } as Env;
    const both = { id: "cus-off-1", email: "switched-off-1@example.com", phone: "+91 98463 00001" };
    const phoneOnly = { id: "cus-off-2", email: null, phone: "+91 98463 00002" };
    const createdAt = "2032-01-21T00:00:00Z";
    await queuedFor(both, { id: "off-due", channel: "whatsapp", createdAt });
    // Refused by a throttle before the switch, its retry an hour away: it waits for WhatsApp no more.
    await queuedFor(both, {
      id: "off-waiting",
      channel: "whatsapp",
      createdAt,
      extra: { attempts: 9, next_attempt_at: "2032-01-21T01:00:00Z", error: "400 130429 throttled" },
    });
    await queuedFor(phoneOnly, { id: "off-phone-only", channel: "whatsapp", createdAt });
    // A sender from before the switch still holds this one and records its outcome.
    await queuedFor(both, {
      id: "off-held",
      channel: "whatsapp",
      createdAt,
      extra: { attempts: 1, lease_until: "2032-01-21T00:08:00Z" },
    });

    expect(await sendNotifications(noWhatsApp, at(21))).toMatchObject({ rerouted: 3 });
    for (const id of ["off-due", "off-waiting"]) {
      expect({ id, ...(await routed(id)) }).toMatchObject({
        id,
        channel: "email",
        recipient: both.email,
        status: "sent",
        attempts: 1,
        error: null,
        nextAttemptAt: null,
      });
    }
    // Neither WhatsApp nor an address: only recorded, as a message queued now would be.
    expect(await routed("off-phone-only")).toMatchObject({
      channel: "local",
      recipient: phoneOnly.phone,
      status: "sent",
      error: "whatsapp is not configured: only recorded",
    });
    expect(await routed("off-held")).toMatchObject({ channel: "whatsapp", status: "queued", attempts: 1 });
    expect((await sentTo(both.email)).map((r) => r.status)).toEqual([200, 200]);
    expect(await sentTo(both.phone)).toEqual([]);
    expect(await sentTo(phoneOnly.phone)).toEqual([]);
  });

  it("moves what was queued for email to WhatsApp once the email key is unset", async () => {
    const noEmail = { ...env, EMAIL_API_KEY: "" } as Env;
    const shopper = { id: "cus-off-3", email: "switched-off-3@example.com", phone: "+91 98463 00003" };
    await queuedFor(shopper, { id: "off-email", channel: "email", createdAt: "2032-01-22T00:00:00Z" });

    await sendNotifications(noEmail, at(22));
    expect(await routed("off-email")).toMatchObject({ channel: "whatsapp", recipient: shopper.phone, status: "sent" });
    expect(await sentTo(shopper.phone)).toHaveLength(1);
    expect(await sentTo(shopper.email)).toEqual([]);
  });
});
