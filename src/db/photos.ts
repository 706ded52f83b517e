import { eq } from "drizzle-orm";
import type { Actor } from "../domain/principal";
import type { Db } from "./client";
import { insertEvent } from "./orders";
import { subOrders } from "./schema";

/**
 * Points the sub-order at its stored proof-of-shipment photo, with a timeline event, in one batch.
 * Each upload is its own event (keyed by its second), so a replaced photo shows on the timeline.
 */
export async function attachPhoto(db: Db, w: { subOrderId: string; key: string; at: string; actor: Actor }) {
  const sub = await db
    .select({ orderId: subOrders.orderId })
    .from(subOrders)
    .where(eq(subOrders.id, w.subOrderId))
    .get();
  if (!sub) return;
  await db.batch([
    db.update(subOrders).set({ photoKey: w.key, updatedAt: w.at }).where(eq(subOrders.id, w.subOrderId)),
    insertEvent(db, {
      orderId: sub.orderId,
      subOrderId: w.subOrderId,
      type: "sub_order.photo_added",
      at: w.at,
      actorRole: w.actor.role,
      actorId: w.actor.id,
      dedupeKey: `sub_order.photo_added:${w.subOrderId}:${w.at}`,
    }),
  ]);
}
