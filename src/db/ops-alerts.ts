import { newId } from "../domain/ids";
import type { Db, Statement } from "./client";
import { notifications } from "./schema";

/**
 * An alert for the ops team, written in the batch of the change it reports: kept in the
 * notifications table (channel `local`, recipient `ops`) where the ops dashboard reads it. Its
 * dedupe key makes a replayed change alert once.
 */
export function queueOpsAlert(
  db: Db,
  a: { template: string; dedupeKey: string; text: string; params: Record<string, unknown>; at: string },
): Statement {
  return db
    .insert(notifications)
    .values({
      id: newId("ntf"),
      threadKey: "ops",
      channel: "local",
      recipient: "ops",
      template: a.template,
      priority: 1,
      payload: { params: a.params, text: a.text },
      dedupeKey: a.dedupeKey,
      createdAt: a.at,
    })
    .onConflictDoNothing();
}
