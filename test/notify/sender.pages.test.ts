import {
  createExecutionContext,
  createMessageBatch,
  env,
  getQueueResult,
  waitOnExecutionContext,
} from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/dev/index";
import { SEND_PAGE, sendNotifications } from "../../src/jobs/notification-sender";
import { findJob } from "../../src/jobs/registry";
import { config } from "../../src/platform/config";
import { LIMITS, meteredEnv, type Spend } from "../support/invocation-budget";
import { queueMessages } from "../support/notifications";

// The every-minute jobs share one invocation: each run, and each queue delivery, gets a fifth.
const BUDGET = { queries: LIMITS.queries / 5, subrequests: LIMITS.subrequests / 5 };
// Larger than a page: the minute's hand-overs take several pages (the project's own limit, 20, fits in one).
const RATE = 100;
const QUEUED = RATE + 10;

const fakeBase = () => config(env).whatsapp!.apiBase;

/** How many messages the fake received for these recipients (phone numbers as digits, or email addresses). */
async function receivedBy(recipients: Set<string>) {
  const all = (await (await fetch(`${fakeBase()}/_fake/requests`)).json()) as { body: any }[];
  return all.filter((r) => recipients.has(r.body?.to) || recipients.has(r.body?.to?.[0])).length;
}

const sentOn = async (prefix: string) =>
  (await env.DB.prepare("select count(*) as n from notifications where id like ? and status = 'sent'")
    .bind(`${prefix}%`)
    .first<{ n: number }>())!.n;

const metered = (over: Record<string, string>) => {
  const spend: Spend = { queries: 0, subrequests: 0, by: {} };
  return { spend, env: { ...meteredEnv(spend), ...over } as Env };
};

/**
 * Runs `body` with the provider calls counted into `spend`, as test/support/invocation-budget.ts does
 * for its metered runs (its fetch meter is not exported, and its runs take the project's env).
 */
async function fetchMetered<T>(spend: Spend, body: () => Promise<T>): Promise<T> {
  const original = globalThis.fetch;
  globalThis.fetch = ((...args: Parameters<typeof fetch>) => {
    spend.subrequests += 1;
    spend.by.fetch = (spend.by.fetch ?? 0) + 1;
    return original(...args);
  }) as typeof fetch;
  try {
    return await body();
  } finally {
    globalThis.fetch = original;
  }
}

/** One delivery of `bodies` to the order-events consumer with `over` in its env, and what it spent. */
async function delivery(bodies: unknown[], over: Record<string, string>) {
  const m = metered(over);
  const batch = createMessageBatch(
    "order-events",
    bodies.map((body, i) => ({ id: `p${i}`, timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await fetchMetered(m.spend, async () => {
    await worker.queue(batch, m.env);
    await waitOnExecutionContext(ctx);
  });
  return { spend: m.spend, result: await getQueueResult(batch, ctx) };
}

const within = (spend: Spend) => {
  expect(spend.queries).toBeLessThanOrEqual(BUDGET.queries);
  expect(spend.subrequests).toBeLessThanOrEqual(BUDGET.subrequests);
};

/** `n` messages for each remote channel, their ids and recipients named by `tag` and a phone block. */
function dueOnBoth(tag: string, n: number, phoneBlock: string) {
  const nth = (i: number) => String(i).padStart(3, "0");
  const wa = Array.from({ length: n }, (_, i) => ({
    id: `${tag}-wa-${nth(i)}`,
    channel: "whatsapp" as const,
    recipient: `+91 ${phoneBlock} ${String(i).padStart(5, "0")}`,
  }));
  const em = Array.from({ length: n }, (_, i) => ({
    id: `${tag}-em-${nth(i)}`,
    channel: "email" as const,
    recipient: `${tag}-${i}@example.com`,
  }));
  return { wa, em };
}

describe("a minute's limit larger than a page", () => {
  it("a run sends a page per channel and continues on the queue, the pages together up to the limit and never past it", async () => {
    expect(SEND_PAGE).toBeLessThan(RATE);
    const over = { NOTIFY_RATE_PER_MINUTE: String(RATE) };
    const { wa, em } = dueOnBoth("pages", QUEUED, "98470");
    await queueMessages([...wa, ...em], "2032-02-01T00:00:00Z", 0);
    const phones = new Set(wa.map((r) => r.recipient.replace(/\D/g, "")));
    const emails = new Set(em.map((r) => r.recipient));
    const now = new Date(Date.UTC(2032, 1, 1, 0, 0, 5));

    const run = metered(over);
    const first = await fetchMetered(run.spend, () => sendNotifications(run.env, now));
    expect(first).toMatchObject({ sent: 2 * SEND_PAGE, continued: true });
    expect(await sentOn("pages-wa-")).toBe(SEND_PAGE);
    expect(await sentOn("pages-em-")).toBe(SEND_PAGE);
    expect(run.spend.by).toMatchObject({ fetch: 2 * SEND_PAGE, "ORDER_EVENTS.send": 1 });
    within(run.spend);

    // The continuation it sent, delivered to the consumer with the same limit, until a page hands on nothing.
    const next = {
      type: "job.continue",
      job: "notification-sender",
      at: now.toISOString().replace(/\.\d{3}Z$/, "Z"),
      after: { key: "", id: "" },
    };
    let pages = 0;
    for (let continued = true; continued && pages < 10; pages++) {
      const d = await delivery([next], over);
      expect(d.result.explicitAcks).toEqual(["p0"]);
      within(d.spend);
      expect(d.spend.by.fetch).toBeLessThanOrEqual(2 * SEND_PAGE);
      continued = (d.spend.by["ORDER_EVENTS.send"] ?? 0) > 0;
    }
    expect(pages).toBe(Math.ceil(RATE / SEND_PAGE) - 1);
    expect(await sentOn("pages-wa-")).toBe(RATE);
    expect(await sentOn("pages-em-")).toBe(RATE);
    expect(await receivedBy(phones)).toBe(RATE);
    expect(await receivedBy(emails)).toBe(RATE);

    // The minute is full: another page sends nothing; the rest waits for the next minute.
    const after = await delivery([next], over);
    expect(after.spend.by.fetch ?? 0).toBe(0);
    expect(after.spend.by["ORDER_EVENTS.send"] ?? 0).toBe(0);
    expect(await receivedBy(phones)).toBe(RATE);
    expect(await receivedBy(emails)).toBe(RATE);
    const later = metered(over);
    await sendNotifications(later.env, new Date(Date.UTC(2032, 1, 1, 0, 1, 5)));
    expect(await sentOn("pages-wa-")).toBe(QUEUED);
    expect(await sentOn("pages-em-")).toBe(QUEUED);
  });
});

describe("one run of the sender in a burst", () => {
  it("spends at most a fifth of an invocation at the default limit, both channels configured, however much is due", async () => {
    // The default limit (README: 220 a minute per channel); a burst of confirmations due on both.
    const over = { NOTIFY_RATE_PER_MINUTE: "220" };
    const due = 120;
    const { wa, em } = dueOnBoth("burst", due, "98471");
    await queueMessages([...wa, ...em], "2032-02-02T00:00:00Z", 0);
    // WhatsApp refuses a page of them for good (no WhatsApp on the number): each outcome then costs
    // two statements, its own and its move to email, the dearest a page can be.
    for (const r of wa.slice(0, SEND_PAGE)) {
      await fetch(`${fakeBase()}/_fake/script`, {
        method: "POST",
        body: JSON.stringify({ recipient: r.recipient.replace(/\D/g, ""), statuses: [131026] }),
      });
    }
    const run = metered(over);
    const job = findJob("notification-sender")!;
    const result = await fetchMetered(run.spend, () => job.run(run.env, new Date(Date.UTC(2032, 1, 2, 0, 0, 5))));
    console.log(`notification-sender burst: ${JSON.stringify(run.spend)} ${JSON.stringify(result)}`);
    within(run.spend);
    expect(run.spend.by.fetch).toBe(2 * SEND_PAGE);
    expect(result).toMatchObject({ failed: SEND_PAGE, continued: true });
  });
});
