import type { Feed } from "../../durable-objects/feed";
import {
  customerFeed,
  type FeedName,
  opsFeed,
  type PublishResult,
  SOURCE_MEMORY_MS,
  type Subscriber,
  vendorFeed,
} from "../../durable-objects/feed-rpc";
import { NOT_FOR_SHOPPERS, type OrderEventMessage, SHOPPER_REFUND_EVENTS } from "../contracts/events";
import type { CustomerOrderEventData, FeedEventInput } from "../contracts/feeds";
import { database } from "../db/client";
import { subOrderVendors } from "../db/feeds";
import { orderCustomersFollowed, reviewPoints } from "../db/orders";
import { reassignmentSide, reassignmentVendors, SUB_ORDER_REASSIGNED, type VendorSide } from "./reassignment-sides";

export {
  customerFeed,
  type FeedName,
  opsFeed,
  type Subscriber,
  skuFeed,
  vendorFeed,
} from "../../durable-objects/feed-rpc";

function feedObject(env: Env, name: FeedName): DurableObjectStub<Feed> {
  return env.FEEDS.get(env.FEEDS.idFromName(name));
}

/**
 * Hands a WebSocket upgrade to the feed object. The caller has already been authorized for this
 * feed; the object trusts what it is told here.
 */
export function subscribe(env: Env, name: FeedName, subscriber: Subscriber): Promise<Response> {
  const url = new URL("https://feed.internal/subscribe");
  url.searchParams.set("s", JSON.stringify(subscriber));
  return feedObject(env, name).fetch(url, { headers: { Upgrade: "websocket" } });
}

export async function publish(env: Env, name: FeedName, events: FeedEventInput[]): Promise<PublishResult> {
  return feedObject(env, name).publish(events);
}

/** Where a feed stands (tests and diagnostics). */
export async function feedStatus(env: Env, name: FeedName) {
  return feedObject(env, name).status();
}

// ---- order events -----------------------------------------------------------------------------

/**
 * What a vendor does not see: parent-level money (the order view hides the parent total from
 * vendors too, and whose refunds a cancel told of) and the review, whose note is for ops alone.
 */
const NOT_FOR_VENDORS = new Set(["total", "totalMinor", "refundedMinor", "refundsTold", "refund", "review", "note"]);

type SubOrderRef = { id: string; vendorId: string };

function subOrderRefs(value: unknown): SubOrderRef[] | null {
  if (!Array.isArray(value)) return null;
  return value.filter(
    (s): s is SubOrderRef =>
      typeof s === "object" && s !== null && typeof s.id === "string" && typeof s.vendorId === "string",
  );
}

/**
 * What the event says about vendors itself: a reassignment's two sides, `subOrders: [{id, vendorId}]`
 * or a single `vendorId`.
 */
function vendorsNamed({ type, payload }: OrderEventMessage): string[] | null {
  if (SHOPPER_REFUND_EVENTS.has(type)) return [];
  if (type === SUB_ORDER_REASSIGNED) return reassignmentVendors(payload);
  const subs = subOrderRefs(payload.subOrders);
  if (subs) return [...new Set(subs.map((s) => s.vendorId))];
  if (typeof payload.vendorId === "string") return [payload.vendorId];
  return null;
}

/** The event as one vendor's feed carries it. */
function vendorSide(type: string, data: Record<string, unknown>, vendorId: string): VendorSide {
  return type === SUB_ORDER_REASSIGNED ? reassignmentSide(data, vendorId) : { type, data: forVendor(data, vendorId) };
}

function forVendor(payload: Record<string, unknown>, vendorId: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(payload)) {
    if (NOT_FOR_VENDORS.has(k)) continue;
    out[k] = k === "subOrders" ? (subOrderRefs(v) ?? []).filter((s) => s.vendorId === vendorId) : v;
  }
  return out;
}

/**
 * What a shopper's feed says of an order event: a whitelist, so a field added to some payload later
 * (a note, money, a vendor's detail) never reaches a customer unnoticed.
 */
function forCustomer(payload: Record<string, unknown>, orderId: string, outboxId: number): CustomerOrderEventData {
  const text = (k: string) => (typeof payload[k] === "string" ? { [k]: payload[k] as string } : {});
  return {
    orderId,
    outboxId,
    ...text("subOrderId"),
    ...text("status"),
    ...text("carrier"),
    ...text("carrierName"),
    ...text("awb"),
  };
}

/**
 * The vendors each event concerns: named in its payload, else every vendor with a sub-order in its
 * order (only the one named by `subOrderId`, when it names one), read from D1 in one query.
 */
async function vendorsOf(env: Env, events: OrderEventMessage[]): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>();
  const unnamed: OrderEventMessage[] = [];
  for (const e of events) {
    const named = vendorsNamed(e);
    if (named) out.set(e.id, named);
    else if (e.orderId) unnamed.push(e);
    else out.set(e.id, []);
  }
  if (unnamed.length > 0) {
    const orderIds = [...new Set(unnamed.map((e) => e.orderId!))];
    const rows = await subOrderVendors(database(env), orderIds);
    for (const e of unnamed) {
      const subOrderId = typeof e.payload.subOrderId === "string" ? e.payload.subOrderId : null;
      const mine = rows.filter((r) => r.orderId === e.orderId && (subOrderId === null || r.id === subOrderId));
      out.set(e.id, [...new Set(mine.map((r) => r.vendorId))]);
    }
  }
  return out;
}

/**
 * The events written while their order was held for review: no vendor hears of those (the order
 * does not exist for its vendors until approved; the approval names them). Decided by where each
 * event stands among its order's holds and releases, not by the order as it is now, so the fast
 * path and a Queue redelivery long after the approval decide alike.
 */
async function writtenWhileHeld(env: Env, events: OrderEventMessage[]): Promise<Set<number>> {
  const orderIds = events.flatMap((e) => (e.orderId ? [e.orderId] : []));
  if (orderIds.length === 0) return new Set();
  const points = await reviewPoints(database(env), orderIds);
  const held = new Set<number>();
  for (const e of events) {
    const last = points.filter((p) => p.orderId === e.orderId && p.outboxId <= e.id).at(-1);
    if (last?.held) held.add(e.id);
  }
  return held;
}

/**
 * Whether a feed that appended this event still remembers it, so that publishing it again appends
 * nothing: it was appended no earlier than it happened, and each feed remembers an event's outbox
 * id for `SOURCE_MEMORY_MS` after.
 */
export const stillRemembered =
  (now: number) =>
  (e: OrderEventMessage): boolean =>
    Date.parse(e.at) >= now - SOURCE_MEMORY_MS;

/**
 * Publishes order events (outbox rows) to the ops feed, to the feeds of the vendors whose
 * sub-orders they concern, each as that vendor may read it (none while the order is held for
 * review) and to the feed of the
 * order's customer (held or not: a shopper sees its order is held, never why; none of the events
 * NOT_FOR_SHOPPERS) once that customer
 * has been issued a feed ticket (no object is created for a shopper who never asked for their
 * feed: the client reloads its orders on first connect), one RPC per feed, in parallel. Each event is keyed by its outbox id,
 * so the fast path and the Queue fallback may both publish it and it appears once. Throws if any
 * feed could not be reached, after trying them all: the Queue consumer retries on that.
 * `maxFeeds` bounds the calls (the ops feed first, then vendors in order of appearance, then customers): the fast
 * path leaves a rush's other feeds to the Queue consumer, whose deliveries are small.
 */
export async function publishOrderEvents(
  env: Env,
  events: OrderEventMessage[],
  maxFeeds = Number.POSITIVE_INFINITY,
): Promise<void> {
  if (events.length === 0) return;
  const orderIds = [...new Set(events.flatMap((e) => (e.orderId ? [e.orderId] : [])))];
  const [vendors, held, customers] = await Promise.all([
    vendorsOf(env, events),
    writtenWhileHeld(env, events),
    orderIds.length > 0 ? orderCustomersFollowed(database(env), orderIds) : new Map<string, string>(),
  ]);
  const byFeed = new Map<FeedName, FeedEventInput[]>([[opsFeed, []]]);
  // Shoppers' feeds after the vendors': a fast path bounded by `maxFeeds` serves the warehouse first.
  const byCustomer = new Map<FeedName, FeedEventInput[]>();
  for (const e of events) {
    const sourceId = `outbox:${e.id}`;
    const data = { ...e.payload, orderId: e.orderId, outboxId: e.id };
    byFeed.get(opsFeed)!.push({ sourceId, type: e.type, at: e.at, data });
    const customerId = e.orderId ? customers.get(e.orderId) : undefined;
    if (customerId && !NOT_FOR_SHOPPERS.has(e.type)) {
      const shown = forCustomer(e.payload, e.orderId!, e.id);
      pushTo(byCustomer, customerFeed(customerId), { sourceId, type: e.type, at: e.at, data: shown });
    }
    if (held.has(e.id)) continue;
    for (const vendorId of vendors.get(e.id) ?? []) {
      const side = vendorSide(e.type, data, vendorId);
      pushTo(byFeed, vendorFeed(vendorId), { sourceId, type: side.type, at: e.at, data: side.data });
    }
  }
  for (const [name, list] of byCustomer) byFeed.set(name, list);
  const feeds = [...byFeed.keys()].slice(0, maxFeeds);
  const settled = await Promise.allSettled(feeds.map((name) => publish(env, name, byFeed.get(name)!)));
  const failed = settled.flatMap((s, i) => (s.status === "rejected" ? [`${feeds[i]}: ${String(s.reason)}`] : []));
  if (failed.length > 0) throw new Error(`feed publish failed: ${failed.join("; ")}`);
}

function pushTo(byFeed: Map<FeedName, FeedEventInput[]>, name: FeedName, event: FeedEventInput) {
  const list = byFeed.get(name) ?? [];
  list.push(event);
  byFeed.set(name, list);
}
