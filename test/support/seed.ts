import { env } from "cloudflare:test";
import { uid } from "./api";

/**
 * A paid order split into one sub-order per vendor given, written straight into D1 with no stock
 * behind it: for statements that grow with the sub-orders of one order, up to as many as a cart's
 * lines may split into, without placing that cart.
 */
export async function seedPaidOrder(customerId: string, vendorIds: string[]) {
  const orderId = uid("ord_");
  const at = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const subOrderIds = vendorIds.map(() => uid("sub_"));
  await env.DB.batch([
    env.DB.prepare(
      `insert into orders (id, customer_id, status, payment_status, currency, total_minor, ship_to, ship_lat, ship_lng,
         hold_id, hold_expires_at, paid_at, created_at, updated_at)
       values (?1, ?2, 'paid', 'paid', 'INR', ?3, '{}', 12.97, 77.59, ?4, ?5, ?5, ?5, ?5)`,
    ).bind(orderId, customerId, 1_000 * vendorIds.length, uid("hold_"), at),
    ...vendorIds.map((vendorId, i) =>
      env.DB.prepare(
        `insert into sub_orders (id, order_id, vendor_id, status, currency, subtotal_minor, total_minor,
           commission_bps, commission_minor, sla_dispatch_by, created_at, updated_at)
         values (?1, ?2, ?3, 'paid', 'INR', 1000, 1000, 1000, 100, ?4, ?4, ?4)`,
      ).bind(subOrderIds[i], orderId, vendorId, at),
    ),
  ]);
  return { orderId, subOrderIds };
}
