// The marketplace a checkout benchmark sells from: vendors with three warehouses and one SKU each,
// guest buyers, and the check afterwards that nothing was oversold or lost.
import { type Api, mapLimit } from "../scripts/lib/api.ts";
import { LOCAL_ADDRESS_LIMITS } from "../scripts/lib/local-env.ts";

/**
 * The vars of a server the benchmark starts: every buyer comes from 127.0.0.1, so the per-address
 * abuse limits are raised; no Stripe keys, so payments go through the simulated provider.
 */
export const BENCH_VARS = {
  STRIPE_SECRET_KEY: "",
  STRIPE_WEBHOOK_SECRET: "",
  CARRIER_WEBHOOK_SECRETS: "",
  ...LOCAL_ADDRESS_LIMITS,
};

export const SHIP_TO = {
  name: "Bench Buyer",
  address: { line1: "1 MG Road", city: "Bengaluru", postalCode: "560001", country: "IN" },
  lat: 12.97,
  lng: 77.59,
};
const WAREHOUSE_SITES = [
  { lat: 12.9716, lng: 77.5946, postalCode: "560001" },
  { lat: 19.076, lng: 72.8777, postalCode: "400001" },
  { lat: 28.6139, lng: 77.209, postalCode: "110001" },
];

export type Sku = { skuId: string; warehouseIds: string[] };
export type Accepted = { token: string; orderId: string; paymentId: string };

/** A vendor with three warehouses and one SKU whose stock is split across them. */
export async function stockedSku(admin: Api, tag: string, stock: number): Promise<Sku> {
  const vendor = await admin.request<{ id: string }>("POST", "/v1/vendors", {
    body: { name: `Bench ${tag}`, commissionBps: 1000, hourlyCapacity: 1_000_000 },
  });
  const product = await admin.request<{ id: string }>("POST", "/v1/products", { body: { title: `Bench ${tag}` } });
  const sku = await admin.request<{ id: string }>("POST", "/v1/skus", {
    body: {
      vendorId: vendor.id,
      productId: product.id,
      code: `BENCH-${tag}`,
      title: `Bench item ${tag}`,
      price: { amountMinor: 19_900, currency: "INR" },
      barcode: `20${tag}`,
      lowStockThreshold: 0,
    },
  });
  const warehouseIds: string[] = [];
  for (const [i, site] of WAREHOUSE_SITES.entries()) {
    const wh = await admin.request<{ id: string }>("POST", `/v1/vendors/${vendor.id}/warehouses`, {
      body: { name: `Bench WH ${i}`, country: "IN", ...site },
    });
    warehouseIds.push(wh.id);
    const share = Math.floor(stock / 3) + (i < stock % 3 ? 1 : 0);
    await admin.request("PUT", `/v1/skus/${sku.id}/stock`, {
      body: { warehouseId: wh.id, onHand: share, reason: "count" },
    });
  }
  return { skuId: sku.id, warehouseIds };
}

/** `count` guest buyers, each with its own token (not timed). */
export async function guestBuyers(admin: Api, count: number): Promise<{ token: string }[]> {
  return mapLimit(Array.from({ length: count }), 32, (_, i) =>
    admin.request<{ token: string }>("POST", "/v1/customers", { token: "", body: { name: `Bench buyer ${i}` } }),
  );
}

/** A checkout request of buyer `token` for one unit of each SKU. */
export function checkoutRequest(url: string, token: string, key: string, skus: Sku[]): Promise<Response> {
  return fetch(new URL("/v1/checkout", url), {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "idempotency-key": key },
    body: JSON.stringify({ lines: skus.map((s) => ({ skuId: s.skuId, qty: 1 })), shipTo: SHIP_TO }),
  });
}

type Totals = { onHand: number; available: number; held: number; committed: number };

/**
 * Pays every accepted order, then checks the stock objects and the orders themselves: `lost` counts
 * 201s that cannot be read back as paid, `committed` is each SKU's committed stock.
 */
export async function verify(admin: Api, url: string, accepted: Accepted[], skus: Sku[]) {
  await mapLimit(accepted, 32, (a) =>
    admin.request("POST", `/v1/payments/${a.paymentId}/simulate`, { token: a.token, body: { outcome: "succeeded" } }),
  );
  const found = await mapLimit(accepted, 32, async (a) => {
    const res = await fetch(new URL(`/v1/orders/${a.orderId}`, url), {
      headers: { authorization: `Bearer ${a.token}` },
    });
    const order = (await res.json()) as { status?: string };
    return order.status === "paid";
  });
  const committed: number[] = [];
  for (const sku of skus) {
    const level = await admin.request<{ totals: Totals }>("GET", `/v1/skus/${sku.skuId}/stock`);
    committed.push(level.totals.committed);
  }
  return { lost: found.filter((ok) => !ok).length, committed };
}
