import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { database } from "../../src/db/client";
import { emailInsteadOfSent, failSentWhatsApp, retrySentWhatsApp, WHATSAPP_SENDS_OF } from "../../src/db/notifications";
import { uid } from "../support/api";
import { LIMITS, meteredEnv, type Spend } from "../support/invocation-budget";
import { queryPlan } from "../support/query-plan";
import { postSignedDelivery, statusDelivery } from "../support/whatsapp";

// The margin test/http/invocation-budget.test.ts holds every invocation to: a fifth of the limit.
const BUDGET = LIMITS.queries / 5;
const APP_SECRET = "test-whatsapp-app-secret-budget";
const HOOK = {
  WHATSAPP_APP_SECRET: APP_SECRET,
  WHATSAPP_VERIFY_TOKEN: "test-whatsapp-verify-token-budget",
  EMAIL_API_KEY: "re_test_key",
  EMAIL_FROM: "Edge OMS <orders@oms.test>",
};

/** Meta's signed POST of `statuses`, through an env whose D1 counts every statement into the spend. */
async function meteredDelivery(statuses: Record<string, unknown>[]) {
  const spend: Spend = { queries: 0, subrequests: 0, by: {} };
  const text = JSON.stringify(statusDelivery(statuses));
  const res = await postSignedDelivery(text, APP_SECRET, { ...meteredEnv(spend), ...HOOK } as Env);
  return { ...res, spend };
}

type Sent = { id: string; wamid: string; thread: string; customerId: string };

/** `count` WhatsApp messages recorded as sent under their wamids, each to a shopper with an email address. */
async function sentMessages(count: number, opts: { attempts?: number; email?: boolean } = {}): Promise<Sent[]> {
  const sent = Array.from({ length: count }, () => ({
    id: uid("ntf_wa"),
    wamid: `wamid.${uid()}`,
    thread: `order:${uid("ord")}`,
    customerId: uid("cus"),
  }));
  const statements = sent.flatMap((m) => [
    env.DB.prepare("insert into customers (id, name, phone, email, created_at) values (?, ?, ?, ?, ?)").bind(
      m.customerId,
      "Landline Shopper",
      "+91 80 4110 5555",
      opts.email === false ? null : `${m.customerId}@example.com`,
      "2026-11-20T09:00:00Z",
    ),
    env.DB.prepare(
      "insert into notifications (id, customer_id, thread_key, channel, recipient, template, priority, payload, status, attempts, provider_ref, dedupe_key, created_at, sent_at, last_attempt_at) values (?, ?, ?, 'whatsapp', '+91 80 4110 5555', 'order_confirmed', 0, '{}', 'sent', ?, ?, ?, '2026-11-20T10:00:00Z', '2026-11-20T10:00:05Z', '2026-11-20T10:00:05Z')",
    ).bind(m.id, m.customerId, m.thread, opts.attempts ?? 1, m.wamid, `dedupe:${m.id}`),
  ]);
  await env.DB.batch(statements);
  return sent;
}

const failed = (m: { wamid: string; thread?: string }, code: number, title: string) => ({
  id: m.wamid,
  status: "failed",
  timestamp: "1750857384",
  recipient_id: "918041105555",
  ...(m.thread ? { biz_opaque_callback_data: m.thread } : {}),
  errors: [{ code, title, error_data: { details: title } }],
});

/** Each message's rows, WhatsApp first: `[channel, status, error]`. */
async function rowsOf(sent: readonly Sent[]) {
  const { results } = await env.DB.prepare(
    "select customer_id as customerId, channel, status, error, recipient, next_attempt_at as nextAttemptAt from notifications where customer_id in (select value from json_each(?)) order by customer_id, channel desc",
  )
    .bind(JSON.stringify(sent.map((m) => m.customerId)))
    .all<{
      customerId: string;
      channel: string;
      status: string;
      error: string | null;
      recipient: string;
      nextAttemptAt: string | null;
    }>();
  const by = new Map<string, typeof results>();
  for (const r of results) by.set(r.customerId, [...(by.get(r.customerId) ?? []), r]);
  return sent.map((m) => by.get(m.customerId) ?? []);
}

describe("WhatsApp status webhook: a large delivery within one invocation's D1 queries", () => {
  it("fails 400 undeliverable messages and queues their 400 emails in a fixed number of queries", async () => {
    const sent = await sentMessages(400);
    const r = await meteredDelivery(sent.map((m) => failed(m, 131026, "Message undeliverable")));
    expect(r.status, r.body).toBe(200);
    expect(r.spend.queries, JSON.stringify(r.spend.by)).toBeLessThan(BUDGET);

    const rows = await rowsOf(sent);
    expect(rows.filter((m) => m.length === 2 && m[0]!.status === "failed" && m[1]!.status === "queued")).toHaveLength(
      400,
    );
    for (const [wa, mail] of rows) {
      expect(wa).toMatchObject({ channel: "whatsapp", status: "failed", error: expect.stringContaining("131026") });
      expect(mail).toMatchObject({ channel: "email", status: "queued", recipient: `${wa!.customerId}@example.com` });
    }

    // Meta delivers the whole batch again: nothing changes, nothing is queued twice.
    const again = await meteredDelivery(sent.map((m) => failed(m, 131026, "Message undeliverable")));
    expect(again.status).toBe(200);
    expect(await rowsOf(sent)).toEqual(rows);
  });

  it("queues 600 throttled messages again, each after the sender's pause, in a fixed number of queries", async () => {
    const firstTry = await sentMessages(300);
    const fourthTry = await sentMessages(300, { attempts: 4 });
    const before = Date.now();
    const r = await meteredDelivery([...firstTry, ...fourthTry].map((m) => failed(m, 131048, "Spam rate limit hit")));
    const after = Date.now();
    expect(r.status, r.body).toBe(200);
    expect(r.spend.queries, JSON.stringify(r.spend.by)).toBeLessThan(BUDGET);

    for (const [sent, minutes] of [
      [firstTry, 1],
      [fourthTry, 8],
    ] as const) {
      for (const rows of await rowsOf(sent)) {
        expect(rows).toEqual([
          expect.objectContaining({ channel: "whatsapp", status: "queued", error: expect.stringContaining("131048") }),
        ]);
        const due = Date.parse(rows[0]!.nextAttemptAt!);
        expect(due).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + minutes * 60_000);
        expect(due).toBeLessThanOrEqual(after + minutes * 60_000);
      }
    }
  });

  it("applies each report as it would alone in a delivery that mixes them", async () => {
    const [undeliverable, throttled, spent, badTemplate, noEmail, repeated] = [
      ...(await sentMessages(2)),
      ...(await sentMessages(1, { attempts: 10 })),
      ...(await sentMessages(1)),
      ...(await sentMessages(1, { email: false })),
      ...(await sentMessages(1)),
    ];
    const r = await meteredDelivery([
      { id: undeliverable!.wamid, status: "delivered" },
      failed(undeliverable!, 131026, "Message undeliverable"),
      failed(throttled!, 131056, "Pair rate limit hit"),
      failed(spent!, 131042, "Business eligibility payment issue"),
      failed(badTemplate!, 132000, "Number of parameters does not match"),
      failed(noEmail!, 131026, "Message undeliverable"),
      failed({ wamid: `wamid.${uid()}`, thread: "order:none" }, 131026, "Message undeliverable"),
      // The same message twice in one delivery: the first report decides, as two deliveries would.
      failed(repeated!, 131048, "Spam rate limit hit"),
      failed(repeated!, 131026, "Message undeliverable"),
    ]);
    expect(r.status, r.body).toBe(200);

    const shape = (rows: Awaited<ReturnType<typeof rowsOf>>) =>
      rows.map((m) => m.map((x) => [x.channel, x.status, x.error?.match(/\d{3,}/)?.[0] ?? null]));
    expect(shape(await rowsOf([undeliverable!, throttled!, spent!, badTemplate!, noEmail!, repeated!]))).toEqual([
      [
        ["whatsapp", "failed", "131026"],
        ["email", "queued", null],
      ],
      [["whatsapp", "queued", "131056"]],
      [
        ["whatsapp", "failed", "131042"],
        ["email", "queued", null],
      ],
      [["whatsapp", "failed", "132000"]],
      [["whatsapp", "failed", "131026"]],
      [["whatsapp", "queued", "131048"]],
    ]);
  });

  it("refuses a delivery with a failure whose send is still being recorded, applying the rest", async () => {
    const [m] = await sentMessages(1);
    const outId = uid("ntf_wa");
    const out = { wamid: `wamid.${uid()}`, thread: `order:${uid("ord")}` };
    // Claimed by a sender that has not recorded its send yet: leased, no wamid.
    await env.DB.prepare(
      "insert into notifications (id, customer_id, thread_key, channel, recipient, template, priority, payload, status, attempts, lease_until, dedupe_key, created_at, last_attempt_at) values (?, ?, ?, 'whatsapp', '+91 80 4110 5555', 'order_confirmed', 0, '{}', 'queued', 1, '2999-01-01T00:00:00Z', ?, '2026-11-20T10:00:00Z', '2026-11-20T10:00:05Z')",
    )
      .bind(outId, m!.customerId, out.thread, `dedupe:${outId}`)
      .run();
    const r = await meteredDelivery([
      failed(out, 131026, "Message undeliverable"),
      failed(m!, 131026, "Message undeliverable"),
    ]);
    expect(r.status).toBe(409);
    expect(JSON.parse(r.body)).toMatchObject({ code: "CONFLICT", detail: expect.stringContaining(out.wamid) });
    const rows = await env.DB.prepare("select id, channel, status from notifications where customer_id = ? order by id")
      .bind(m!.customerId)
      .all<{ id: string; channel: string; status: string }>();
    expect(rows.results.map((x) => [x.id === outId ? "out" : x.channel, x.status]).sort()).toEqual([
      ["email", "queued"],
      ["out", "queued"],
      ["whatsapp", "failed"],
    ]);
  });
});

describe("WhatsApp status webhook: a large delivery's statements", () => {
  it("find each reported message by its wamid's index, never reading every WhatsApp message", async () => {
    const db = database(env);
    const at = "2026-11-27T10:00:00Z";
    const plans = [
      await queryPlan(WHATSAPP_SENDS_OF, [JSON.stringify([["wamid.1", "order:ord_1"]]), at]),
      ...(await Promise.all(
        [
          ...failSentWhatsApp(db, [{ providerRef: "wamid.1", error: "131026" }]),
          ...retrySentWhatsApp(db, [{ providerRef: "wamid.1", error: "131048", nextAttemptAt: at }]),
          ...emailInsteadOfSent(db, ["wamid.1"], at),
        ].map((s) => {
          const q = (s as unknown as { toSQL(): { sql: string; params: unknown[] } }).toSQL();
          return queryPlan(q.sql, q.params);
        }),
      )),
    ];
    expect(plans).toHaveLength(4);
    for (const p of plans) {
      expect(p).toMatch(/SCAN \w+ VIRTUAL TABLE/);
      expect(p).toMatch(/SEARCH \w+ USING INDEX notifications_provider_ref \(provider_ref=\?\)/);
      expect(p).not.toMatch(/SCAN (notifications|n)\b/);
      expect(p).not.toContain("notifications_attempts");
    }
    expect(plans[0]).toMatch(/USING INDEX notifications_thread_queued \(thread_key=\?\)/);
  });
});
