import { env } from "cloudflare:test";
import { isoSeconds } from "../../src/domain/time";
import { newCustomer } from "./api";
import { BENGALURU, checkout, pay, stockedSku } from "./marketplace";

export type SeededOrder = { orderId: string; subOrderIds: string[]; customerId: string; token: string };

/**
 * `count` real orders of one unit of `skuId`, each checked out and paid through the API by its own
 * shopper (one shopper per order stays clear of the per-customer hold and unit limits), `chunk` at a
 * time. The SKU's vendor needs the stock and an hourly capacity for all of them.
 */
export async function seedPaidOrders(skuId: string, count: number, chunk = 10): Promise<SeededOrder[]> {
  const out: SeededOrder[] = [];
  for (let i = 0; i < count; i += chunk) {
    const n = Math.min(chunk, count - i);
    out.push(...(await Promise.all(Array.from({ length: n }, () => onePaidOrder(skuId)))));
  }
  return out;
}

async function onePaidOrder(skuId: string): Promise<SeededOrder> {
  const shopper = await newCustomer();
  const placed = await checkout(shopper.token, [{ skuId, qty: 1 }]);
  if (placed.status !== 201) throw new Error(`checkout: ${placed.status} ${JSON.stringify(placed.body)}`);
  const paid = await pay(shopper.token, placed.body.payment.id);
  if (paid.status !== 200) throw new Error(`pay: ${paid.status} ${JSON.stringify(paid.body)}`);
  return {
    orderId: placed.body.order.id,
    subOrderIds: placed.body.order.subOrders.map((s: { id: string }) => s.id),
    customerId: shopper.customerId,
    token: shopper.token,
  };
}

/** A paid order of one unit of a fresh SKU, whose sub-order's dispatch deadline passed ten minutes ago. */
export async function breachedPaidOrder() {
  const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }] });
  const [o] = await seedPaidOrders(s.skuId, 1);
  const subOrderId = o!.subOrderIds[0]!;
  await env.DB.prepare("update sub_orders set sla_dispatch_by = ? where id = ?")
    .bind(isoSeconds(Date.now() - 10 * 60_000), subOrderId)
    .run();
  const { holdId } = (await env.DB.prepare("select hold_id as holdId from orders where id = ?")
    .bind(o!.orderId)
    .first<{ holdId: string }>())!;
  return { skuId: s.skuId, orderId: o!.orderId, subOrderId, holdId };
}
