import { and, eq, inArray, sql } from "drizzle-orm";
import type { Actor } from "../domain/principal";
import type { Db } from "./client";
import { orderEvents, subOrders } from "./schema";

/** A parcel's proof is taken before it leaves: once dispatched (or cancelled) it stays as it was. */
export const PHOTO_STATUSES = ["paid", "confirmed", "packed"] as const;

/**
 * Points the sub-order at a stored proof-of-shipment photo, only while it has not left, with a
 * timeline event per photo (keyed by its content, so the same photo again adds none), in one
 * batch. Answers whether the sub-order now shows it.
 */
export async function attachPhoto(
  db: Db,
  w: { subOrderId: string; orderId: string; key: string; at: string; actor: Actor },
): Promise<boolean> {
  const [updated] = await db.batch([
    db
      .update(subOrders)
      .set({ photoKey: w.key, updatedAt: w.at })
      .where(and(eq(subOrders.id, w.subOrderId), inArray(subOrders.status, [...PHOTO_STATUSES])))
      .returning({ id: subOrders.id }),
    db
      .insert(orderEvents)
      .select(
        sql`select null, ${w.orderId}, ${w.subOrderId}, 'sub_order.photo_added', ${w.at}, ${w.actor.role}, ${w.actor.id}, null, null, ${`sub_order.photo_added:${w.key}`} where exists (select 1 from ${subOrders} s where s.id = ${w.subOrderId} and s.photo_key = ${w.key} and s.status in ('paid', 'confirmed', 'packed'))`,
      )
      .onConflictDoNothing(),
  ]);
  return updated.length > 0;
}
