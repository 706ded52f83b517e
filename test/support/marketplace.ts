import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import type { WarehouseStock } from "../../durable-objects/sku-stock-rpc";
import { ADMIN, api, newCustomer, tokenFor, uid } from "./api";
import { inr, newProduct, newSku, newVendor, newWarehouse } from "./catalog";

export const BENGALURU = { lat: 12.9716, lng: 77.5946 };
export const MUMBAI = { lat: 19.076, lng: 72.8777 };
export const DELHI = { lat: 28.6139, lng: 77.209 };

/** A vendor with warehouses and one SKU stocked per warehouse as given. */
export async function stockedSku(opts: {
  warehouses: { at: { lat: number; lng: number }; onHand: number }[];
  priceMinor?: number;
  vendor?: Record<string, unknown>;
}) {
  const vendor = await newVendor(opts.vendor ?? {});
  const product = await newProduct();
  const sku = await newSku(vendor.id, product.id, { price: inr(opts.priceMinor ?? 49_900) });
  const warehouseIds: string[] = [];
  for (const w of opts.warehouses) {
    const wh = await newWarehouse(vendor.id, { lat: w.at.lat, lng: w.at.lng });
    warehouseIds.push(wh.id);
    const r = await api("PUT", `/v1/skus/${sku.id}/stock`, {
      token: ADMIN,
      body: { warehouseId: wh.id, onHand: w.onHand, reason: "count" },
    });
    if (r.status !== 200) throw new Error(`stock: ${r.status} ${JSON.stringify(r.body)}`);
  }
  return {
    vendorId: vendor.id as string,
    skuId: sku.id as string,
    warehouseIds,
    commissionBps: vendor.commissionBps as number,
  };
}

export const shipTo = (at = BENGALURU) => ({
  name: "Asha Rao",
  phone: "+91 98450 00000",
  address: { line1: "12 MG Road", city: "Bengaluru", postalCode: "560001", country: "IN" },
  lat: at.lat,
  lng: at.lng,
});

export async function checkout(
  token: string,
  lines: { skuId: string; qty: number }[],
  key = uid("idem-"),
  at = BENGALURU,
) {
  return api("POST", "/v1/checkout", {
    token,
    body: { lines, shipTo: shipTo(at) },
    headers: { "Idempotency-Key": key },
  });
}

export async function pay(
  token: string,
  paymentId: string,
  outcome: "succeeded" | "failed" | "canceled" = "succeeded",
) {
  return api("POST", `/v1/payments/${paymentId}/simulate`, { token, body: { outcome } });
}

export async function stockOf(skuId: string) {
  const r = await api("GET", `/v1/skus/${skuId}/stock`, { token: ADMIN });
  if (r.status !== 200) throw new Error(`stock read: ${r.status}`);
  return r.body as {
    warehouses: WarehouseStock[];
    totals: { onHand: number; available: number; held: number; committed: number };
  };
}

/**
 * A paid order of one unit from vendor A (Bengaluru, 2,000) and one from vendor B (Mumbai, 3,000):
 * the order, its shopper, and each vendor's SKU, token and sub-order.
 */
export async function paidOrderOfTwoVendors() {
  const a = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }], priceMinor: 2_000 });
  const b = await stockedSku({ warehouses: [{ at: MUMBAI, onHand: 5 }], priceMinor: 3_000 });
  const vendorA = await tokenFor("vendor", { vendorId: a.vendorId });
  const vendorB = await tokenFor("vendor", { vendorId: b.vendorId });
  const shopper = await newCustomer();
  const placed = await checkout(shopper.token, [
    { skuId: a.skuId, qty: 1 },
    { skuId: b.skuId, qty: 1 },
  ]);
  const paid = await pay(shopper.token, placed.body.payment.id);
  const subOf = (v: string) => paid.body.subOrders.find((s: { vendorId: string }) => s.vendorId === v).id as string;
  return {
    a,
    b,
    vendorA,
    vendorB,
    shopper,
    orderId: paid.body.id as string,
    subA: subOf(a.vendorId),
    subB: subOf(b.vendorId),
  };
}

/**
 * The ARCHITECTURE.md equation, read from the stock object itself: its held and committed counters
 * (of which available is derived) match its hold rows. Answers the object's snapshot.
 */
export async function expectStockEquation(skuId: string) {
  const stock = env.SKU_STOCK.get(env.SKU_STOCK.idFromName(skuId));
  const drift = await stock.audit();
  if (drift.length > 0) throw new Error(`counters drifted from the holds: ${JSON.stringify(drift)}`);
  return stock.snapshot();
}

export async function customers(n: number) {
  const out: { customerId: string; token: string }[] = [];
  for (let i = 0; i < n; i += 50) {
    out.push(...(await Promise.all(Array.from({ length: Math.min(50, n - i) }, () => newCustomer()))));
  }
  return out;
}

/** A new shopper's one-unit order of the SKU, paid, then confirmed and packed by its vendor: ready to dispatch. */
export async function packedSubOrder(skuId: string, vendorToken: string): Promise<string> {
  const shopper = await newCustomer();
  const placed = await checkout(shopper.token, [{ skuId, qty: 1 }]);
  const sub = (await pay(shopper.token, placed.body.payment.id)).body.subOrders[0].id as string;
  await api("POST", `/v1/sub-orders/${sub}/confirm`, { token: vendorToken });
  const barcode = (await api("GET", `/v1/sub-orders/${sub}`, { token: vendorToken })).body.lines[0].barcode;
  await api("POST", `/v1/sub-orders/${sub}/pack`, { token: vendorToken, body: { scanned: [barcode] } });
  return sub;
}

/** Lets the order's hold on the SKU lapse now, as its expiry alarm would: the units are for sale again. */
export async function lapseHold(skuId: string, orderId: string) {
  const holdId = (await env.DB.prepare("select hold_id as h from orders where id = ?")
    .bind(orderId)
    .first<{ h: string }>())!.h;
  const stock = env.SKU_STOCK.get(env.SKU_STOCK.idFromName(skuId));
  await runInDurableObject(stock, (_instance, state) => {
    state.storage.sql.exec("update holds set expires_at = 0 where hold_id = ?", holdId);
  });
  await runDurableObjectAlarm(stock);
}

/** Ops moving a paid sub-order's lines to another vendor's offer of the item, as `reassignSubOrder` takes it. */
export const opsMoveTo = (subOrderId: string, skuId: string) => ({
  subOrderId,
  target: { skuId },
  reason: "vendor A cannot ship it",
  key: uid("ra-"),
  actor: { role: "ops" as const, id: uid("tok_") },
  now: new Date(),
});
