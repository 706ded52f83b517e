import type { OrderEventMessage } from "../contracts/events";
import { type Db, database } from "../db/client";
import {
  notificationFacts,
  queueNotifications,
  type Reroute,
  rerouteNotifications,
  strandedNotifications,
} from "../db/notifications";
import { newId } from "../domain/ids";
import { isoSeconds } from "../domain/time";
import { type Config, config } from "../platform/config";
import { compose, type Facts } from "./compose";

type Contact = { email: string | null; phone: string | null };
type CustomerContact = Contact & { paidAt: string | null };

/**
 * A shopper's contact is whatever the guest typed at sign-up, unverified: until someone has paid
 * for the order (its payment succeeded, even one refunded for coming too late), messages about it
 * are only recorded, so an order placed in a stranger's name cannot make us message that stranger.
 */
const reachable = (c: CustomerContact | undefined) => (c?.paidAt ? c : undefined);

/**
 * Shoppers and vendors hear on WhatsApp when it is configured and they gave a phone number, else
 * by email when that is configured and they gave an address; otherwise the message is only
 * recorded (a vendor still sees it on its feed and dashboard).
 */
function route(cfg: Config, contact: Contact | undefined, fallback: string) {
  if (cfg.whatsapp && contact?.phone) return { channel: "whatsapp" as const, recipient: contact.phone };
  if (cfg.email && contact?.email) return { channel: "email" as const, recipient: contact.email };
  return { channel: "local" as const, recipient: contact?.phone ?? contact?.email ?? fallback };
}

/**
 * Turns order events into queued notifications. Each row's dedupe key is the event and recipient,
 * so a redelivered event queues nothing new.
 */
export async function enqueueNotifications(env: Env, events: OrderEventMessage[]): Promise<number> {
  const orderIds = [...new Set(events.map((e) => e.orderId).filter((id): id is string => !!id))];
  if (orderIds.length === 0) return 0;
  const db = database(env);
  const vendorIds = [
    ...new Set(events.flatMap((e) => (typeof e.payload.vendorId === "string" ? [e.payload.vendorId] : []))),
  ];
  const { facts, contacts, vendorContacts } = await notificationFacts(db, orderIds, vendorIds);
  const cfg = config(env);
  const factsOf = new Map<string, Facts>(facts.map((f) => [f.orderId, { ...f, timeZone: cfg.timeZone }]));
  const contactOf = new Map(contacts.map((c) => [c.orderId, c]));
  const vendorContactOf = new Map(vendorContacts.map((c) => [c.vendorId, c]));
  const now = isoSeconds(new Date());
  const rows = events.flatMap((e) => {
    const f = e.orderId ? factsOf.get(e.orderId) : undefined;
    if (!f) return [];
    return compose(e, f).map((m) => {
      const who = m.audience.kind === "customer" ? m.audience.customerId : m.audience.vendorId;
      const { channel, recipient } =
        m.audience.kind === "customer"
          ? route(cfg, reachable(contactOf.get(e.orderId!)), who)
          : route(cfg, vendorContactOf.get(who), `vendor:${who}`);
      return {
        id: newId("ntf"),
        orderId: e.orderId,
        subOrderId: typeof e.payload.subOrderId === "string" ? e.payload.subOrderId : null,
        customerId: m.audience.kind === "customer" ? who : null,
        vendorId: m.audience.kind === "vendor" ? who : null,
        threadKey: m.threadKey,
        channel,
        recipient,
        template: m.template,
        priority: m.priority,
        payload: { params: m.params, text: m.text },
        // Not the template: compose reads the order as it is now, so an event delivered again
        // after a move may pick another one, and must still be told once (one message per recipient).
        dedupeKey: `${e.id}:${who}`,
        createdAt: now,
      };
    });
  });
  await queueNotifications(db, rows);
  return rows.length;
}

/**
 * A message's channel is chosen when it is queued, and a sender claims only the channels configured
 * now: when an operator switches one off (unsets WHATSAPP_TOKEN after Meta blocks the account),
 * what is still queued on it, waiting to retry or not, is claimed by no one, ever. Moves at most
 * `limit` of them (confirmations first) where a message queued now would go, as not tried yet there:
 * by email to a shopper or vendor with an address when email is configured, else only recorded.
 * A customer's message is on a remote channel only once someone paid, which stays so: no need to
 * ask again. Returns how many moved.
 */
export async function rerouteStranded(db: Db, cfg: Config, w: { at: string; limit: number }): Promise<number> {
  const off = (["whatsapp", "email"] as const).filter((c) => !cfg[c]);
  const stranded = await strandedNotifications(db, off, w);
  const moves = stranded.map((n): Reroute => {
    const fallback = n.recipient ?? (n.vendorId ? `vendor:${n.vendorId}` : (n.customerId ?? ""));
    const contact = n.customerId || n.vendorId ? { email: n.email, phone: n.phone } : undefined;
    const { channel, recipient } = route(cfg, contact, fallback);
    const how = channel === "local" ? "only recorded" : `moved to ${channel}`;
    return { id: n.id, from: n.channel, channel, recipient, error: `${n.channel} is not configured: ${how}` };
  });
  return (await rerouteNotifications(db, moves, w.at)).length;
}
