import { and, eq, inArray, type SQL, sql } from "drizzle-orm";
import { REASSIGNED } from "../contracts/order-status";
import { newId } from "../domain/ids";
import { chunks, rowsPerInsert, selectIn } from "./chunks";
import type { Db, Statement } from "./client";
import { type After, afterKey, keyOrder, type Page, toPage } from "./paging";
import { customers, notifications, orders, subOrders, vendors } from "./schema";

export type NotificationRow = typeof notifications.$inferSelect;
export type NotificationInsert = typeof notifications.$inferInsert;

export type NotificationFilter = {
  customerId?: string;
  vendorId?: string;
  orderId?: string;
  status?: NotificationRow["status"];
  after: After | undefined;
  limit: number;
};

/** A page's read, newest first; every filter given must hold. */
export const notificationsPage = (db: Db, f: NotificationFilter) =>
  db
    .select()
    .from(notifications)
    .where(
      and(
        f.customerId ? eq(notifications.customerId, f.customerId) : undefined,
        f.vendorId ? eq(notifications.vendorId, f.vendorId) : undefined,
        f.orderId ? eq(notifications.orderId, f.orderId) : undefined,
        f.status ? eq(notifications.status, f.status) : undefined,
        afterKey(notifications.createdAt, notifications.id, f.after, "desc"),
      ),
    )
    .orderBy(...keyOrder(notifications.createdAt, notifications.id, "desc"))
    .limit(f.limit + 1);

export async function listNotifications(db: Db, f: NotificationFilter): Promise<Page<NotificationRow>> {
  return toPage(
    await notificationsPage(db, f),
    f.limit,
    (n) => ({ key: n.createdAt, id: n.id }),
    (n) => n,
  );
}

/**
 * What composing notifications needs about these orders and vendors: each order's customer,
 * currency and how many sub-orders and vendors it has (as the shopper sees them), the customers' and
 * vendors' contacts.
 */
export async function notificationFacts(db: Db, orderIds: readonly string[], vendorIds: readonly string[]) {
  const [facts, contacts, vendorContacts] = await Promise.all([
    selectIn(db, orderIds, (ids) =>
      db
        .select({
          orderId: orders.id,
          customerId: orders.customerId,
          currency: orders.currency,
          subOrderCount: sql<number>`count(${subOrders.id})`.as("sub_count"),
          vendorCount: sql<number>`count(distinct ${subOrders.vendorId})`.as("vendor_count"),
        })
        .from(orders)
        // Not the shells a reassignment emptied: the shopper never sees them as parcels.
        .innerJoin(
          subOrders,
          sql`${subOrders.orderId} = ${orders.id} and not (${subOrders.status} = 'cancelled' and ${subOrders.cancellationReason} is ${REASSIGNED})`,
        )
        .where(inArray(orders.id, ids))
        .groupBy(orders.id),
    ),
    selectIn(db, orderIds, (ids) =>
      db
        .select({
          orderId: orders.id,
          email: customers.email,
          phone: customers.phone,
          // Someone paid: the order was marked paid, or a payment came too late and was refunded.
          paidAt: sql<
            string | null
          >`coalesce(${orders.paidAt}, (select p.updated_at from payments p where p.order_id = ${orders.id} and p.status = 'succeeded'))`,
        })
        .from(orders)
        .innerJoin(customers, sql`${customers.id} = ${orders.customerId}`)
        .where(inArray(orders.id, ids)),
    ),
    selectIn(db, vendorIds, (ids) =>
      db
        .select({ vendorId: vendors.id, email: vendors.contactEmail, phone: vendors.contactPhone })
        .from(vendors)
        .where(inArray(vendors.id, ids)),
    ),
  ]);
  return { facts, contacts, vendorContacts };
}

/** Queues the rows; one already queued under the same dedupe key is left as it is. */
export async function queueNotifications(db: Db, rows: readonly NotificationInsert[]) {
  for (const values of chunks(rows, rowsPerInsert(notifications))) {
    await db.insert(notifications).values(values).onConflictDoNothing();
  }
}

/** This minute's hand-overs on `channel` subtracted from its per-minute limit (never below 0). */
function leftThisMinute(channel: string, w: { limit: number; bucket: string; at: string }) {
  return sql`max(0, ${w.limit} - (select count(*) from ${notifications} where channel = ${channel} and last_attempt_at >= ${w.bucket} and last_attempt_at <= ${w.at}))`;
}

/**
 * The local channel only records: its claim marks the queued messages sent at once, confirmations
 * first, at most what is left of this minute's limit. Returns the ids marked.
 */
export async function markLocalSent(db: Db, w: { limit: number; bucket: string; at: string }) {
  return db.all<{ id: string }>(sql`
    update ${notifications}
    set sent_at = ${w.at}, last_attempt_at = ${w.at}, attempts = attempts + 1, status = 'sent', provider_ref = 'local:' || id
    where id in (
      select id from ${notifications}
      where status = 'queued' and channel = 'local'
      order by priority, created_at, id
      limit ${leftThisMinute("local", w)}
    )
    returning id`);
}

export type ClaimedNotification = {
  id: string;
  orderId: string | null;
  threadKey: string;
  recipient: string | null;
  template: string;
  payload: string;
  attempts: number;
};

/**
 * One statement that leases the queued messages of `channel` due now, confirmations first, at most
 * what is left of this minute's limit and at most `page`: two senders at once never exceed it or
 * take the same message.
 */
export async function claimNotifications(
  db: Db,
  channel: string,
  w: { limit: number; page: number; bucket: string; at: string; leaseUntil: string },
) {
  return db.all<ClaimedNotification>(sql`
    update ${notifications}
    set lease_until = ${w.leaseUntil}, last_attempt_at = ${w.at}, attempts = attempts + 1
    where id in (
      select id from ${notifications}
      where status = 'queued' and channel = ${channel}
        and (lease_until is null or lease_until <= ${w.at})
        and (next_attempt_at is null or next_attempt_at <= ${w.at})
      order by priority, created_at, id
      limit min(${w.page}, ${leftThisMinute(channel, w)})
    )
    returning id, order_id as orderId, thread_key as threadKey, recipient, template, payload, attempts`);
}

/** A queued message on a channel the deployment no longer sends on, with its recipient's contacts now. */
export type StrandedNotification = {
  id: string;
  channel: string;
  recipient: string | null;
  customerId: string | null;
  vendorId: string | null;
  email: string | null;
  phone: string | null;
};

/**
 * The queued messages of `channels` that no sender holds, confirmations first, at most `limit`:
 * whether due now or waiting to retry, none of them is ever claimed while its channel is off.
 */
export async function strandedNotifications(
  db: Db,
  channels: readonly string[],
  w: { at: string; limit: number },
): Promise<StrandedNotification[]> {
  if (channels.length === 0) return [];
  return db.all<StrandedNotification>(sql`
    select n.id, n.channel, n.recipient, n.customer_id as customerId, n.vendor_id as vendorId,
      coalesce(c.email, v.contact_email) as email, coalesce(c.phone, v.contact_phone) as phone
    from ${notifications} n
    left join ${customers} c on c.id = n.customer_id
    left join ${vendors} v on v.id = n.vendor_id
    where n.status = 'queued' and n.channel in (select value from json_each(${JSON.stringify(channels)}))
      and (n.lease_until is null or n.lease_until <= ${w.at})
    order by n.priority, n.created_at, n.id
    limit ${w.limit}`);
}

export type Reroute = {
  id: string;
  from: string;
  channel: "whatsapp" | "email" | "local";
  recipient: string;
  error: string;
};

/**
 * Moves each message to its new channel and recipient as one not tried yet there (no attempts or
 * hand-over counted against that channel's minute, no pause, no provider's id), in one statement;
 * only while it is still queued on the channel it was read on and no sender holds it, so a sender
 * that claimed it meanwhile keeps it and two runs at once move it once. Returns the ids moved.
 */
export async function rerouteNotifications(db: Db, moves: readonly Reroute[], at: string) {
  if (moves.length === 0) return [];
  return db.all<{ id: string }>(sql`
    update ${notifications}
    set channel = m.value ->> 1, recipient = m.value ->> 2, error = m.value ->> 3,
      attempts = 0, last_attempt_at = null, next_attempt_at = null, lease_until = null, provider_ref = null
    from json_each(${JSON.stringify(moves.map((r) => [r.id, r.channel, r.recipient, r.error, r.from]))}) as m
    where ${notifications}.id = m.value ->> 0 and ${notifications}.channel = m.value ->> 4
      and ${notifications}.status = 'queued'
      and (${notifications}.lease_until is null or ${notifications}.lease_until <= ${at})
    returning ${notifications}.id as id`);
}

export type NotificationOutcome = Pick<
  NotificationInsert,
  "status" | "sentAt" | "providerRef" | "error" | "nextAttemptAt"
>;

/**
 * The same message by email, queued when WhatsApp refused it for good (no WhatsApp on that
 * number, a number that is none): only if that refusal is what the message now records, and its
 * shopper or vendor gave an address. Once per message.
 */
export function emailInstead(db: Db, id: string, at: string): Statement {
  return emailInsteadOf(db, at, { id: sql`${newId("ntf")}`, from: sql`${notifications} n`, which: sql`n.id = ${id}` });
}

/**
 * Reports bound as one JSON value, which D1 caps at 2 MB: each report is under 10 KB as JSON
 * whatever it carries (a wamid or thread of at most 512 characters, the route's cap, and a reason
 * cut at 1,000, each character 6 bytes at worst once escaped, as a control character or a lone
 * surrogate is). A delivery's failures take a statement or a few, never one each.
 */
const REPORTS_PER_STATEMENT = 200;

/**
 * The fallback of `emailInstead` for each WhatsApp message sent under one of `providerRefs` (its
 * wamid), which WhatsApp reported failed after taking it. Once per message: its dedupe key is the
 * message's own.
 */
export function emailInsteadOfSent(db: Db, providerRefs: readonly string[], at: string): Statement[] {
  return chunks(providerRefs, REPORTS_PER_STATEMENT).map((refs) =>
    emailInsteadOf(db, at, {
      id: sql`s.value ->> 1`,
      // CROSS JOIN keeps the wamids the outer loop, each searching its index, not every WhatsApp message scanned.
      from: sql`json_each(${JSON.stringify(refs.map((ref) => [ref, newId("ntf")]))}) s cross join ${notifications} n`,
      which: sql`n.provider_ref = s.value ->> 0`,
    }),
  );
}

function emailInsteadOf(db: Db, at: string, rows: { id: SQL; from: SQL; which: SQL }): Statement {
  return db
    .insert(notifications)
    .select(
      sql`select ${rows.id}, n.order_id, n.sub_order_id, n.customer_id, n.vendor_id, n.thread_key, 'email', coalesce(c.email, v.contact_email), n.template, n.priority, n.payload, 'queued', 0, null, null, n.dedupe_key || ':email', ${at}, null, null, null, null from ${rows.from} left join ${customers} c on c.id = n.customer_id left join ${vendors} v on v.id = n.vendor_id where ${rows.which} and n.channel = 'whatsapp' and n.status = 'failed' and coalesce(c.email, v.contact_email) is not null`,
    )
    .onConflictDoNothing();
}

export type SentWhatsAppFailure = { providerRef: string; error: string };

/**
 * WhatsApp's later word that messages it accepted (HTTP 200 and a wamid) were not delivered after
 * all: each message we sent under one of those wamids becomes failed with its reason. Only a
 * message still recorded as sent changes, so a repeated report keeps the first reason and time.
 * One wamid once in `failures`: of two, either could win.
 */
export function failSentWhatsApp(db: Db, failures: readonly SentWhatsAppFailure[]): Statement[] {
  return chunks(failures, REPORTS_PER_STATEMENT).map((list) =>
    db
      .update(notifications)
      .set({ status: "failed", error: sql`f.value ->> 1` })
      .from(sql`json_each(${JSON.stringify(list.map((f) => [f.providerRef, f.error]))}) as f`)
      .where(stillSentUnder(sql`f.value ->> 0`)),
  );
}

export type SentWhatsAppRetry = { providerRef: string; error: string; nextAttemptAt: string };

/**
 * WhatsApp's later word that messages it accepted failed for a reason that passes or that an
 * operator clears (a throttle, a locked or unpaid account): each message we sent under one of those
 * wamids is queued again for its `nextAttemptAt`, as a refusal at send time is, the send Meta
 * reported counted among its attempts. Only a message still recorded as sent under that wamid
 * changes, so a repeated report queues it once. It keeps the wamid until a sender records the next
 * one: a repeated report still finds the message, and changes nothing. One wamid once in `retries`.
 */
export function retrySentWhatsApp(db: Db, retries: readonly SentWhatsAppRetry[]): Statement[] {
  return chunks(retries, REPORTS_PER_STATEMENT).map((list) =>
    db
      .update(notifications)
      .set({ status: "queued", error: sql`r.value ->> 1`, nextAttemptAt: sql`r.value ->> 2`, sentAt: null })
      .from(sql`json_each(${JSON.stringify(list.map((r) => [r.providerRef, r.error, r.nextAttemptAt]))}) as r`)
      .where(stillSentUnder(sql`r.value ->> 0`)),
  );
}

/**
 * The WhatsApp message still recorded as sent under the wamid `providerRef`. Unary `+` keeps SQLite
 * off the channel index: blind to how many rows json_each holds, it walked every WhatsApp message
 * and tested each against the list, rather than searching each wamid's row by its index.
 */
const stillSentUnder = (providerRef: SQL) =>
  and(
    sql`${notifications.providerRef} = ${providerRef}`,
    sql`+${notifications.channel} = 'whatsapp'`,
    eq(notifications.status, "sent"),
  );

export type WhatsAppSend = { state: "recorded"; attempts: number } | { state: "in_flight" };

/**
 * What this deployment knows of each WhatsApp send Meta reported on, in the order of `reports`:
 * `recorded`, with the message's attempts, when a message was recorded under that wamid
 * (`providerRef`); else `in_flight` when a sender holds a WhatsApp message of `threadKey` at `at`,
 * out with the provider and its wamid not recorded yet (a sender records each outcome as its send
 * comes back, and Meta's report can come first); else nothing. Both lookups of a report in one
 * statement: with two reads, a sender's record that landed between them made the report look like
 * one about a message never sent, and it was dropped.
 */
export async function whatsAppSendsOf(
  db: Db,
  reports: readonly { providerRef: string; threadKey: string | undefined }[],
  at: string,
): Promise<(WhatsAppSend | undefined)[]> {
  const answers = await Promise.all(
    chunks(reports, REPORTS_PER_STATEMENT).map((list) =>
      db.$client
        .prepare(WHATSAPP_SENDS_OF)
        .bind(JSON.stringify(list.map((r) => [r.providerRef, r.threadKey ?? null])), at)
        .all<{ attempts: number | null; inFlight: number }>(),
    ),
  );
  return answers
    .flatMap((a) => a.results)
    .map((row) =>
      row.attempts !== null
        ? { state: "recorded", attempts: row.attempts }
        : row.inFlight
          ? { state: "in_flight" }
          : undefined,
    );
}

/**
 * `whatsAppSendsOf`'s statement, over `?1`, a JSON list of `[wamid, thread]`: each lookup from its
 * own partial index (provider_ref; queued by thread).
 */
export const WHATSAPP_SENDS_OF = `select
    (select n.attempts from notifications n
      where n.provider_ref = r.value ->> 0 and n.channel = 'whatsapp' limit 1) as attempts,
    exists (select 1 from notifications n
      where n.status = 'queued' and n.channel = 'whatsapp' and n.thread_key = r.value ->> 1 and n.lease_until > ?2) as inFlight
  from json_each(?1) r
  order by r.key`;

/** Records a send's outcome, but only while the sender still holds the message's lease. */
export function settleNotification(db: Db, id: string, lease: string, outcome: NotificationOutcome): Statement {
  return db
    .update(notifications)
    .set({ ...outcome, leaseUntil: null })
    .where(and(eq(notifications.id, id), eq(notifications.leaseUntil, lease)));
}
