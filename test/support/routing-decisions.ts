import { env } from "cloudflare:test";
import { isoSeconds } from "../../src/domain/time";
import { uid } from "./api";

/**
 * The routing decision an order written straight into D1 carries: one line, one warehouse chosen
 * with `scores`, as the refit reads them back against the order's outcome.
 */
export function routingDecisionRow(
  orderId: string,
  vendorId: string,
  scores: Record<string, number>,
  createdAt: string,
) {
  const choice = { vendorId, warehouseId: `wh_${vendorId}`, skuId: `sku_${vendorId}` };
  return env.DB.prepare(
    "insert into routing_decisions (order_id, weights_version, explanation, created_at) values (?, 1, ?, ?)",
  ).bind(
    orderId,
    JSON.stringify({
      weightsVersion: 1,
      lines: [{ lineIndex: 0, chosen: [{ ...choice, qty: 1 }], candidates: [{ ...choice, scores, total: 0.8 }] }],
    }),
    createdAt,
  );
}

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : isoSeconds(ms));

/**
 * An order of `vendorId` and its one sub-order written straight into D1 as fulfillment, the SLA
 * watcher or a carrier left them (times in ms; the order's status is the sub-order's), with the
 * routing decision that chose the vendor: what the re-fit reads back as an outcome.
 */
export function outcomeRows(o: {
  vendorId: string;
  customerId: string;
  status: "dispatched" | "delivered" | "cancelled";
  createdAt: number;
  updatedAt?: number;
  slaDispatchBy: number;
  slaStartedAt: number | null;
  dispatchedAt?: number;
  cancelledAt?: number;
  cancellationReason?: string;
  promisedDeliveryBy?: number;
  deliveredAt?: number;
  scores: Record<string, number>;
}): D1PreparedStatement[] {
  const orderId = uid("ord_o");
  const created = isoSeconds(o.createdAt);
  const updated = isoSeconds(o.updatedAt ?? o.createdAt);
  return [
    env.DB.prepare(
      `insert into orders (id, customer_id, status, payment_status, currency, total_minor, ship_to, ship_lat, ship_lng,
         hold_id, hold_expires_at, paid_at, created_at, updated_at)
       values (?, ?, ?, 'paid', 'INR', 1000, '{}', 12.97, 77.59, ?, ?, ?, ?, ?)`,
    ).bind(orderId, o.customerId, o.status, uid("hold_o"), created, created, created, updated),
    env.DB.prepare(
      `insert into sub_orders (id, order_id, vendor_id, status, currency, subtotal_minor, shipping_minor, total_minor,
         commission_bps, commission_minor, sla_dispatch_by, sla_started_at, dispatched_at, cancelled_at,
         cancellation_reason, promised_delivery_by, delivered_at, created_at, updated_at)
       values (?, ?, ?, ?, 'INR', 1000, 0, 1000, 1000, 100, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).bind(
      uid("sub_o"),
      orderId,
      o.vendorId,
      o.status,
      isoSeconds(o.slaDispatchBy),
      iso(o.slaStartedAt),
      iso(o.dispatchedAt),
      iso(o.cancelledAt),
      o.cancellationReason ?? null,
      iso(o.promisedDeliveryBy),
      iso(o.deliveredAt),
      created,
      updated,
    ),
    routingDecisionRow(orderId, o.vendorId, o.scores, created),
  ];
}
