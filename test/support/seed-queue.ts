import { env } from "cloudflare:test";
import { uid } from "./api";

export type QueuedSubOrder = { id: string; createdAt: string; slaDispatchBy: string | null };

/**
 * Sub-orders of one vendor, each in an order of its own, written straight into D1 (no stock, no
 * payment behind them): a queue of any length and any deadlines without placing its orders.
 */
export async function seedQueue(
  vendorId: string,
  customerId: string,
  rows: { status: string; createdAt: string; slaDispatchBy: string | null; held?: boolean }[],
): Promise<QueuedSubOrder[]> {
  const out = rows.map((r) => ({ ...r, id: uid("sub_"), orderId: uid("ord_") }));
  await env.DB.batch(
    out.flatMap((r) => [
      env.DB.prepare(
        `insert into orders (id, customer_id, status, payment_status, currency, total_minor, ship_to, ship_lat, ship_lng,
           hold_id, hold_expires_at, paid_at, review_held, created_at, updated_at)
         values (?1, ?2, 'paid', 'paid', 'INR', 1000, '{}', 12.97, 77.59, ?3, ?4, ?4, ?5, ?4, ?4)`,
      ).bind(r.orderId, customerId, uid("hold_"), r.createdAt, r.held ? 1 : 0),
      env.DB.prepare(
        `insert into sub_orders (id, order_id, vendor_id, status, currency, subtotal_minor, total_minor,
           commission_bps, commission_minor, sla_dispatch_by, created_at, updated_at)
         values (?1, ?2, ?3, ?4, 'INR', 1000, 1000, 1000, 100, ?5, ?6, ?6)`,
      ).bind(r.id, r.orderId, vendorId, r.status, r.slaDispatchBy, r.createdAt),
    ]),
  );
  return out.map((r) => ({ id: r.id, createdAt: r.createdAt, slaDispatchBy: r.slaDispatchBy }));
}

/** Earliest deadline first, ties by id, no deadline last (by id): SQLite compares text by its bytes. */
export function byDeadline(a: QueuedSubOrder, b: QueuedSubOrder): number {
  const da = a.slaDispatchBy ?? "\uffff";
  const db = b.slaDispatchBy ?? "\uffff";
  return da < db ? -1 : da > db ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
