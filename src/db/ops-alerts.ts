import { and, getTableColumns, type SQL, sql } from "drizzle-orm";
import { newId } from "../domain/ids";
import type { Db, Statement } from "./client";
import { type After, afterKey, keyOrder, type Page, toPage } from "./paging";
import { notifications } from "./schema";

/**
 * An alert for the ops team, written in the batch of the change it reports: kept in the
 * notifications table (channel `local`, recipient `ops`) where `GET /v1/ops-alerts` and the ops dashboard read it. Its
 * dedupe key makes a replayed change alert once.
 */
export function queueOpsAlert(db: Db, a: OpsAlert): Statement {
  return db.insert(notifications).values(opsAlertRow(a)).onConflictDoNothing();
}

type OpsAlert = { template: string; dedupeKey: string; text: string; params: Record<string, unknown>; at: string };

const opsAlertRow = (a: OpsAlert) => ({
  id: newId("ntf"),
  threadKey: "ops",
  channel: "local" as const,
  recipient: "ops",
  template: a.template,
  priority: 1,
  payload: { params: a.params, text: a.text },
  dedupeKey: a.dedupeKey,
  createdAt: a.at,
});

/**
 * `queueOpsAlert`, written only while `guard` holds as its batch runs: a batch is one transaction, so
 * a guard on the state the change it reports leaves behind makes the change's replays, even at once,
 * alert once. The row is written by a select so it can carry the guard (an insert of values cannot);
 * its columns go in the table's order, as drizzle names them.
 */
export function queueOpsAlertWhile(db: Db, a: OpsAlert, guard: SQL): Statement {
  const row: Record<string, unknown> = opsAlertRow(a);
  const values = Object.entries(getTableColumns(notifications)).map(([key, column]) =>
    row[key] === undefined
      ? column.default == null
        ? sql`null`
        : sql`${column.default}`
      : sql.param(row[key], column),
  );
  return db
    .insert(notifications)
    .select(sql`select ${sql.join(values, sql`, `)} where ${guard}`)
    .onConflictDoNothing();
}

export type OpsAlertRow = {
  id: string;
  template: string;
  text: string;
  params: Record<string, unknown>;
  createdAt: string;
};

/**
 * Ops' alerts, newest first, keyset over (created_at, id): read from their own partial index
 * (`notifications_ops_alerts`, the two columns every alert is written with), so a page does not walk
 * the shoppers' messages around them.
 */
export async function listOpsAlerts(db: Db, f: OpsAlertsFilter): Promise<Page<OpsAlertRow>> {
  return toPage(await opsAlertsPage(db, f), f.limit, (r) => ({ key: r.createdAt, id: r.id }), toAlert);
}

type OpsAlertsFilter = { after: After | undefined; limit: number };

/** A page's read, newest first; the filter is the index's own condition, written as literals so SQLite uses it. */
export const opsAlertsPage = (db: Db, f: OpsAlertsFilter) =>
  db
    .select({
      id: notifications.id,
      template: notifications.template,
      payload: notifications.payload,
      createdAt: notifications.createdAt,
    })
    .from(notifications)
    .where(
      and(
        sql`${notifications.recipient} = 'ops'`,
        afterKey(notifications.createdAt, notifications.id, f.after, "desc"),
      ),
    )
    .orderBy(...keyOrder(notifications.createdAt, notifications.id, "desc"))
    .limit(f.limit + 1);

function toAlert(r: { id: string; template: string; payload: unknown; createdAt: string }): OpsAlertRow {
  const payload = (r.payload ?? {}) as { text?: unknown; params?: unknown };
  return {
    id: r.id,
    template: r.template,
    text: typeof payload.text === "string" ? payload.text : "",
    params: payload.params && typeof payload.params === "object" ? (payload.params as Record<string, unknown>) : {},
    createdAt: r.createdAt,
  };
}
