import type { CancelReason, OrderView } from "../contracts/orders";
import { cancellationNotesOf, insertCancellationNote } from "../db/cancellation-notes";
import { database } from "../db/client";
import type { Actor, Principal } from "../domain/principal";
import { isoSeconds } from "../domain/time";

/**
 * Keeps what a person wrote when cancelling, apart from the reason code: the code may reach the
 * shopper's contact and vendors, the note only ops. Written after the cancellation landed; a lost
 * note loses no money or stock.
 */
export async function keepCancellationNote(
  env: Env,
  orderId: string,
  input: { actor: Actor; reason: CancelReason; note: string; now: Date },
): Promise<void> {
  await insertCancellationNote(database(env), orderId, {
    at: isoSeconds(input.now),
    actor: input.actor,
    reason: input.reason,
    note: input.note,
  });
}

/** Ops and admins see the notes with the order; nobody else does. */
export async function withCancellationNotes(env: Env, view: OrderView, who: Principal): Promise<OrderView> {
  if (who.role !== "ops" && who.role !== "admin") return view;
  const notes = await cancellationNotesOf(database(env), view.id);
  return notes.length > 0 ? { ...view, cancellationNotes: notes } : view;
}
