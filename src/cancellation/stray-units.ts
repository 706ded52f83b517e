import { database } from "../db/client";
import { skusWithoutLiveLines } from "../db/orders";
import { stockObject } from "../gateways/stock";

/**
 * Gives back what an order's hold still has of the SKUs no live line names. A cancel and a
 * reassignment into the same sub-order can interleave so that the move's units join the hold after
 * the cancel released it: the cancel whose write landed and the move whose stock finished each call
 * this afterwards, and whichever comes second frees them (a cancel only its own sub-order's SKUs).
 * Shipped units stay (their release is refused); a hold already released costs its object a read;
 * an order never reassigned costs one D1 read and no call, unless `evenIfNeverMoved`: the SLA watcher's
 * hold again (`holdAgain`) puts units back in a released hold, moved or not.
 */
export async function releaseStrayUnits(
  env: Env,
  order: { id: string; holdId: string },
  subOrderId?: string,
  opts: { evenIfNeverMoved?: boolean } = {},
): Promise<void> {
  const skuIds = await skusWithoutLiveLines(database(env), order.id, subOrderId, opts);
  await Promise.all(skuIds.map((skuId) => stockObject(env, skuId).release(order.holdId, "cancelled_while_moving")));
}
