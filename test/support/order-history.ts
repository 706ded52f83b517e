import { env } from "cloudflare:test";
import { newCustomer, uid } from "./api";
import { newProduct, newSku, newVendor, newWarehouse } from "./catalog";

/**
 * Order histories written straight into D1 for the analytics tests: each change is one batch with
 * its order event, as the application's writes are, so the roll-ups see what they would in production
 * without a checkout per order.
 */

export type HistorySku = { id: string; productId: string; priceMinor: number };
export type HistoryVendor = { id: string; warehouseId: string; skus: HistorySku[] };
export type HistoryCatalog = { customerId: string; vendors: HistoryVendor[] };

export async function historyCatalog(vendorCount = 3, skusPerVendor = 2): Promise<HistoryCatalog> {
  const customer = await newCustomer();
  const vendors: HistoryVendor[] = [];
  for (let v = 0; v < vendorCount; v++) {
    const vendor = await newVendor();
    const warehouse = await newWarehouse(vendor.id);
    const skus: HistorySku[] = [];
    for (let s = 0; s < skusPerVendor; s++) {
      const product = await newProduct();
      const priceMinor = 10_000 * (v + 1) + 100 * s;
      const sku = await newSku(vendor.id, product.id, { price: { amountMinor: priceMinor, currency: "INR" } });
      skus.push({ id: sku.id, productId: product.id, priceMinor });
    }
    vendors.push({ id: vendor.id, warehouseId: warehouse.id, skus });
  }
  return { customerId: customer.customerId, vendors };
}

export type PlacedLine = { vendor: number; sku: number; qty: number };
export type PlacedOrder = {
  id: string;
  paymentId: string;
  paidAt: string | null;
  subOrders: { id: string; vendorId: string; lineIds: string[]; totalMinor: number }[];
};

const event = (orderId: string, subOrderId: string | null, type: string, at: string) =>
  env.DB.prepare(
    "insert into order_events (order_id, sub_order_id, type, at, actor_role, actor_id, dedupe_key) values (?, ?, ?, ?, 'system', 'test', ?)",
  ).bind(orderId, subOrderId, type, at, `${type}:${uid()}`);

/** An order placed at `at` (paid an hour later when `paid`), one sub-order per vendor of its lines. */
export async function placeOrder(
  cat: HistoryCatalog,
  o: { at: Date; paid: boolean; lines: PlacedLine[] },
): Promise<PlacedOrder> {
  const id = uid("ord_h");
  const at = iso(o.at);
  const paidAt = o.paid ? iso(new Date(o.at.getTime() + 3_600_000)) : null;
  const byVendor = new Map<number, PlacedLine[]>();
  for (const l of o.lines) byVendor.set(l.vendor, [...(byVendor.get(l.vendor) ?? []), l]);
  const statements: D1PreparedStatement[] = [];
  const subOrders: PlacedOrder["subOrders"] = [];
  let lineIndex = 0;
  let total = 0;
  for (const [v, lines] of byVendor) {
    const vendor = cat.vendors[v]!;
    const subId = uid("sub_h");
    const lineIds: string[] = [];
    let subtotal = 0;
    for (const l of lines) {
      const sku = vendor.skus[l.sku]!;
      const lineId = uid("li_h");
      lineIds.push(lineId);
      subtotal += sku.priceMinor * l.qty;
      statements.push(
        env.DB.prepare(
          `insert into line_items (id, order_id, sub_order_id, line_index, sku_id, warehouse_id, qty, unit_price_minor, line_total_minor, currency)
           values (?, ?, ?, ?, ?, ?, ?, ?, ?, 'INR')`,
        ).bind(
          lineId,
          id,
          subId,
          lineIndex++,
          sku.id,
          vendor.warehouseId,
          l.qty,
          sku.priceMinor,
          sku.priceMinor * l.qty,
        ),
      );
    }
    total += subtotal;
    subOrders.push({ id: subId, vendorId: vendor.id, lineIds, totalMinor: subtotal });
  }
  const paymentId = uid("pay_h");
  const head = [
    env.DB.prepare(
      `insert into orders (id, customer_id, status, payment_status, currency, total_minor, ship_to, ship_lat, ship_lng, hold_id, hold_expires_at, paid_at, created_at, updated_at)
       values (?, ?, ?, ?, 'INR', ?, '{}', 12.97, 77.59, ?, ?, ?, ?, ?)`,
    ).bind(
      id,
      cat.customerId,
      paidAt ? "paid" : "pending_payment",
      paidAt ? "paid" : "unpaid",
      total,
      uid("hold"),
      at,
      paidAt,
      at,
      at,
    ),
    ...subOrders.map((s) =>
      env.DB.prepare(
        `insert into sub_orders (id, order_id, vendor_id, status, currency, subtotal_minor, shipping_minor, total_minor, commission_bps, commission_minor, created_at, updated_at)
         values (?, ?, ?, ?, 'INR', ?, 0, ?, 1000, ?, ?, ?)`,
      ).bind(
        s.id,
        id,
        s.vendorId,
        paidAt ? "paid" : "pending_payment",
        s.totalMinor,
        s.totalMinor,
        Math.round(s.totalMinor / 10),
        at,
        at,
      ),
    ),
    env.DB.prepare(
      `insert into payments (id, order_id, provider, status, amount_minor, currency, created_at, updated_at)
       values (?, ?, 'simulated', ?, ?, 'INR', ?, ?)`,
    ).bind(paymentId, id, paidAt ? "succeeded" : "requires_payment", total, at, at),
  ];
  await env.DB.batch([
    ...head,
    ...statements,
    event(id, null, "order.placed", at),
    ...(paidAt ? [event(id, null, "order.paid", paidAt)] : []),
  ]);
  return { id, paymentId, paidAt, subOrders };
}

export type Change = "dispatch" | "deliver" | "cancel" | "breach" | "nudge" | "return" | "refund";

/** One change to a sub-order (or its lines, or its order's payment) at `at`, with its event. */
export async function changeSubOrder(order: PlacedOrder, sub: number, change: Change, at: Date): Promise<void> {
  const s = order.subOrders[sub % order.subOrders.length]!;
  const when = iso(at);
  const statements: Record<Change, D1PreparedStatement[]> = {
    dispatch: [
      env.DB.prepare(
        "update sub_orders set status = 'dispatched', dispatched_at = ?2, updated_at = ?2 where id = ?1",
      ).bind(s.id, when),
    ],
    deliver: [
      env.DB.prepare(
        "update sub_orders set status = 'delivered', dispatched_at = coalesce(dispatched_at, ?2), delivered_at = ?2, updated_at = ?2 where id = ?1",
      ).bind(s.id, when),
    ],
    cancel: [
      env.DB.prepare(
        "update sub_orders set status = 'cancelled', cancellation_reason = 'vendor_out_of_stock', cancelled_at = ?2, updated_at = ?2 where id = ?1",
      ).bind(s.id, when),
    ],
    breach: [
      env.DB.prepare(
        "update sub_orders set status = 'cancelled', cancellation_reason = 'sla_breach_auto', cancelled_at = ?2, updated_at = ?2 where id = ?1",
      ).bind(s.id, when),
    ],
    // The roll-ups count a nudge by its event (below).
    nudge: [env.DB.prepare("update sub_orders set nudged_at = coalesce(nudged_at, ?2) where id = ?1").bind(s.id, when)],
    // A partial return: one more unit of the sub-order's first line, while any is left.
    return: [
      env.DB.prepare("update line_items set returned_qty = min(qty, returned_qty + 1) where id = ?1").bind(
        s.lineIds[0],
      ),
    ],
    // A partial refund of 100 while the payment has that much left, the payment's sum read back.
    refund: [
      env.DB.prepare(
        `insert into refunds (id, payment_id, order_id, sub_order_id, amount_minor, currency, reason, created_at)
         select ?1, ?2, ?3, ?4, 100, 'INR', 'return', ?5 from payments where id = ?2 and refunded_minor + 100 <= amount_minor`,
      ).bind(uid("rf_h"), order.paymentId, order.id, s.id, when),
      env.DB.prepare(
        "update payments set refunded_minor = (select coalesce(sum(amount_minor), 0) from refunds where payment_id = ?1) where id = ?1",
      ).bind(order.paymentId),
    ],
  };
  const type = change === "nudge" ? "sub_order.sla_nudge" : `test.${change}`;
  await env.DB.batch([...statements[change], event(order.id, s.id, type, when)]);
}

const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");

/** Every roll-up table's rows, in a stable order: what two ways of computing them must agree on. */
export async function rollupSnapshot(): Promise<Record<string, unknown[]>> {
  const tables: Record<string, string> = {
    rollup_platform_days: "day",
    rollup_vendor_days: "day, vendor_id",
    rollup_sku_days: "vendor_id, day, sku_id",
    rollup_warehouse_days: "day, warehouse_id",
    rollup_status_days: "day, vendor_id, status",
    rollup_latency_days: "vendor_id, metric, day, bucket",
  };
  const out: Record<string, unknown[]> = {};
  for (const [table, order] of Object.entries(tables))
    out[table] = (await env.DB.prepare(`select * from ${table} order by ${order}`).all()).results;
  return out;
}
