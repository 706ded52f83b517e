import { continueRollups } from "../analytics/runs";
import {
  type ContinuedJob,
  JobContinueMessage,
  OrderEventMessage,
  ProductImportMessage,
  WarehouseSellersMessage,
} from "../contracts/events";
import { publishOrderEvents, stillRemembered } from "../gateways/feeds";
import { sendImportPage } from "../gateways/product-import-pages";
import { sendSellersPage } from "../gateways/warehouse-seller-pages";
import { announceWarehouseStatus } from "../inventory/warehouse-status";
import { enqueueNotifications } from "../notifications/outbox";
import { continuePayouts } from "../payouts/run";
import { applyImportPage } from "../product-import/apply";
import { expireHolds } from "./expire-holds";
import { FAN_OUT, reconcileBridge } from "./inventory-bridge";
import { continueSending } from "./notification-sender";
import { continueBreaches } from "./sla-watcher";

export type EventConsumer = {
  name: string;
  handles: (type: string) => boolean;
  /**
   * Handles the events of one delivery. A delivery may come again (a retry, a replayed dead letter),
   * so each consumer makes a repeat harmless by its own key: no receipts are kept, which would cost
   * every order rows of their own (README, "Performance").
   */
  handle: (env: Env, events: OrderEventMessage[]) => Promise<void>;
};

/** Consumers of order events; each must be safe to run again for the same event. */
export const consumers: readonly EventConsumer[] = [
  {
    // One structured line per state change: the audit trail that Workers Logs retains and searches.
    // A redelivered event is logged again under the same event id.
    name: "event-log",
    handles: () => true,
    handle: async (_env, events) => {
      for (const e of events)
        console.log(JSON.stringify({ orderEvent: e.type, id: e.id, orderId: e.orderId, at: e.at }));
    },
  },
  {
    name: "notifications",
    handles: (type) => type.startsWith("order.") || type.startsWith("sub_order."),
    handle: async (env, events) => {
      await enqueueNotifications(env, events);
    },
  },
  {
    // The fallback path of the live feeds: dispatchOutbox publishes first; the feeds drop a repeat
    // by its outbox id, so an event published on both paths appears once. An event older than the
    // feeds remember ids for (a dead letter replayed days later) is not news: it is left out.
    name: "live-feeds",
    handles: () => true,
    handle: (env, events) => publishOrderEvents(env, events.filter(stillRemembered(Date.now()))),
  },
];

const MAX_BACKOFF_SECONDS = 300;

const backoff = (message: Message) => ({ delaySeconds: Math.min(MAX_BACKOFF_SECONDS, 5 * 2 ** message.attempts) });

/** Each continued job's next page. */
const pages: Record<ContinuedJob, (env: Env, at: Date, after: JobContinueMessage["after"]) => Promise<unknown>> = {
  "expire-holds": expireHolds,
  "sla-watcher": continueBreaches,
  "inventory-bridge": reconcileBridge,
  payouts: continuePayouts,
  // Its cursor is the watermark in D1, not the message's.
  "analytics-rollups": (env, at) => continueRollups(env, at),
  // Claimed by lease under the minute's count, not walked by a cursor.
  "notification-sender": (env, at) => continueSending(env, at),
};

/**
 * Jobs whose pages are claimed by lease, not walked by a cursor, and how many of their pages a
 * delivery runs: the bridge's run fans out to FAN_OUT chains meant to run side by side, and the
 * cap keeps chains that pile up over a long sync to a delivery's share of its subrequests.
 */
const PAGES_PER_DELIVERY: Partial<Record<ContinuedJob, number>> = { "inventory-bridge": FAN_OUT };

const before = (a: JobContinueMessage["after"], b: JobContinueMessage["after"]) =>
  a.key < b.key || (a.key === b.key && a.id < b.id);

/**
 * Runs one page per job however many of its continuations a delivery holds, so a delivery costs
 * at most a page of each: from the earliest cursor at the latest time, a page covers what each
 * of them would have (whatever was due at an earlier time is due at a later one), and hands on
 * the rest itself. A job in PAGES_PER_DELIVERY runs up to that many.
 */
async function runContinuations(env: Env, continued: Map<Message, JobContinueMessage>): Promise<void> {
  const merged = new Map<string, { next: JobContinueMessage; messages: Message[] }>();
  const seenOf = new Map<ContinuedJob, number>();
  for (const [message, next] of continued) {
    const nth = seenOf.get(next.job) ?? 0;
    seenOf.set(next.job, nth + 1);
    const pages = PAGES_PER_DELIVERY[next.job];
    const group = pages ? `${next.job}:${nth % pages}` : next.job;
    const seen = merged.get(group);
    if (!seen) merged.set(group, { next, messages: [message] });
    else {
      seen.messages.push(message);
      seen.next = {
        ...next,
        at: new Date(Math.max(Date.parse(next.at), Date.parse(seen.next.at))).toISOString(),
        after: before(next.after, seen.next.after) ? next.after : seen.next.after,
      };
    }
  }
  await Promise.all(
    [...merged.values()].map(async ({ next, messages }) => {
      try {
        const result = await pages[next.job](env, new Date(next.at), next.after);
        console.log(JSON.stringify({ job: next.job, continued: next.after, result }));
        for (const m of messages) m.ack();
      } catch (err) {
        console.error(JSON.stringify({ job: next.job, continued: next.after, error: String(err) }));
        for (const m of messages) m.retry(backoff(m));
      }
    }),
  );
}

/**
 * Each consumer handles the delivery's events it takes, and each message is then acked or, if a
 * consumer failed on it, retried with exponential backoff (every consumer sees it again). After
 * the queue's max_retries it goes to the dead-letter queue. A job's continuation on the same queue
 * runs its next page (`runContinuations`).
 */
export async function consumeOrderEvents(batch: MessageBatch, env: Env): Promise<void> {
  const events = new Map<Message, OrderEventMessage>();
  const continued = new Map<Message, JobContinueMessage>();
  const importPages = new Map<Message, ProductImportMessage>();
  const sellerPages = new Map<Message, WarehouseSellersMessage>();
  for (const message of batch.messages) {
    const next = JobContinueMessage.safeParse(message.body);
    const parsed = OrderEventMessage.safeParse(message.body);
    const importPage = ProductImportMessage.safeParse(message.body);
    const sellerPage = WarehouseSellersMessage.safeParse(message.body);
    if (next.success) continued.set(message, next.data);
    else if (importPage.success) importPages.set(message, importPage.data);
    else if (sellerPage.success) sellerPages.set(message, sellerPage.data);
    else if (parsed.success) events.set(message, parsed.data);
    else {
      console.error(JSON.stringify({ queue: batch.queue, dropped: message.id, reason: "unparseable" }));
      message.ack();
    }
  }
  await Promise.all([
    runContinuations(env, continued),
    runFirstPage(
      importPages,
      (next) => sendImportPage(env, next),
      async (next) => {
        const result = await applyImportPage(env, next.importId, next.page, new Date());
        console.log(
          JSON.stringify({
            productImport: next.importId,
            page: next.page,
            result: result && { ...result, errors: result.errors.length },
          }),
        );
      },
    ),
    runFirstPage(
      sellerPages,
      (next) => sendSellersPage(env, next),
      (next) => announceWarehouseStatus(env, next.warehouseId, next.after),
    ),
    handleEvents(env, batch.queue, events),
  ]);
}

/**
 * Runs the first page (of a product import, or of a warehouse's SKUs to re-announce) of a delivery
 * and sends the others on afresh, so a delivery costs at most one page of each kind (each page is
 * sized to one invocation's limits) and pages running side by side do not use up each other's
 * retries. A page's own message sends the next one.
 */
async function runFirstPage<T extends { type: string }>(
  pages: Map<Message, T>,
  resend: (next: Omit<T, "type">) => Promise<void>,
  run: (next: T) => Promise<void>,
): Promise<void> {
  const [first, ...rest] = pages;
  await Promise.all(
    rest.map(async ([m, { type: _type, ...next }]) => {
      await resend(next);
      m.ack();
    }),
  );
  if (!first) return;
  const [message, next] = first;
  try {
    await run(next);
    message.ack();
  } catch (err) {
    console.error(JSON.stringify({ page: next, error: String(err) }));
    message.retry(backoff(message));
  }
}

async function handleEvents(env: Env, queue: string, events: Map<Message, OrderEventMessage>): Promise<void> {
  if (events.size === 0) return;
  const failed = new Set<number>();
  for (const consumer of consumers) {
    const todo = [...events.values()].filter((e) => consumer.handles(e.type));
    if (todo.length === 0) continue;
    try {
      await consumer.handle(env, todo);
    } catch (err) {
      console.error(JSON.stringify({ queue, consumer: consumer.name, error: String(err) }));
      for (const e of todo) failed.add(e.id);
    }
  }
  for (const [message, event] of events) {
    if (failed.has(event.id)) message.retry(backoff(message));
    else message.ack();
  }
}
