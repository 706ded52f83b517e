// `node scripts/check-oversell.ts [--buyers 500] [--concurrency 100] [--stock 100] [--url URL]`
// Against a running local server (`bun run dev` or `bun run start`; URL and admin token from
// demo.json): many guest buyers race for one SKU. Every reply must be 201, 409 or 429 — never a
// 5xx or a dropped connection — and after paying every accepted order exactly `stock` are paid.
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { api, mapLimit } from "./lib/api.ts";
import { ROOT } from "./lib/local-env.ts";

const { values } = parseArgs({
  options: {
    buyers: { type: "string", default: "500" },
    concurrency: { type: "string", default: "100" },
    stock: { type: "string", default: "100" },
    url: { type: "string" },
  },
});
const buyers = Number(values.buyers);
const concurrency = Number(values.concurrency);
const stock = Number(values.stock);
const demo = JSON.parse(readFileSync(path.join(ROOT, "demo.json"), "utf8")) as {
  baseUrl: string;
  tokens: { role: string; token: string }[];
};
const baseUrl = values.url ?? demo.baseUrl;
const admin = demo.tokens.find((t) => t.role === "admin")?.token;
if (!admin) throw new Error("demo.json has no admin token: start the server with `bun run dev` first");
const client = api(baseUrl, admin);
const tag = Date.now().toString(36);

type Created = { id: string };
const vendor = await client.request<Created>("POST", "/v1/vendors", {
  body: { name: `Oversell check ${tag}`, commissionBps: 1000, hourlyCapacity: 100_000 },
});
const warehouse = await client.request<Created>("POST", `/v1/vendors/${vendor.id}/warehouses`, {
  body: { name: "Check WH", lat: 12.9716, lng: 77.5946, postalCode: "560001", country: "IN" },
});
const product = await client.request<Created>("POST", "/v1/products", { body: { title: `Oversell check ${tag}` } });
const sku = await client.request<Created>("POST", "/v1/skus", {
  body: {
    vendorId: vendor.id,
    productId: product.id,
    code: `CHECK-${tag}`,
    title: "Contended item",
    price: { amountMinor: 9_900, currency: "INR" },
    barcode: `29${tag}`,
    lowStockThreshold: 0,
  },
});
await client.request("PUT", `/v1/skus/${sku.id}/stock`, {
  body: { warehouseId: warehouse.id, onHand: stock, reason: "count" },
});

console.log(`server ${baseUrl}; ${buyers} guest buyers, ${concurrency} concurrent, one SKU of ${stock} units`);
const guests = await mapLimit(Array.from({ length: buyers }), 20, (_, i) =>
  client.request<{ token: string }>("POST", "/v1/customers", { token: "", body: { name: `Buyer ${i}` } }),
);

const statuses = new Map<string, number>();
const accepted: { token: string; paymentId: string; orderId: string }[] = [];
const started = performance.now();
await mapLimit(guests, concurrency, async (guest, i) => {
  let status: string;
  try {
    const res = await fetch(new URL("/v1/checkout", baseUrl), {
      method: "POST",
      headers: {
        authorization: `Bearer ${guest.token}`,
        "content-type": "application/json",
        "idempotency-key": `check-${tag}-${i}`,
      },
      body: JSON.stringify({
        lines: [{ skuId: sku.id, qty: 1 }],
        shipTo: {
          name: `Buyer ${i}`,
          address: { line1: "1 MG Road", city: "Bengaluru", postalCode: "560001", country: "IN" },
          lat: 12.97,
          lng: 77.59,
        },
      }),
    });
    status = String(res.status);
    const body = (await res.json()) as { order?: { id: string }; payment?: { id: string } };
    if (res.status === 201 && body.order && body.payment) {
      accepted.push({ token: guest.token, paymentId: body.payment.id, orderId: body.order.id });
    }
  } catch (err) {
    status = `dropped (${(err as { cause?: { code?: string } }).cause?.code ?? String(err)})`;
  }
  statuses.set(status, (statuses.get(status) ?? 0) + 1);
});
const seconds = (performance.now() - started) / 1000;

await mapLimit(accepted, 20, (a) =>
  client.request("POST", `/v1/payments/${a.paymentId}/simulate`, { token: a.token, body: { outcome: "succeeded" } }),
);
const paid = await mapLimit(accepted, 20, async (a) => {
  const order = await client.request<{ status: string }>("GET", `/v1/orders/${a.orderId}`);
  return order.status === "paid";
});
const levels = await client.request<{ totals: { onHand: number; available: number; held: number; committed: number } }>(
  "GET",
  `/v1/skus/${sku.id}/stock`,
);

console.log(`replies in ${seconds.toFixed(1)} s:`, Object.fromEntries([...statuses].sort()));
console.log(`paid after simulation: ${paid.filter(Boolean).length}; stock now`, levels.totals);
const unexpected = [...statuses.keys()].filter((s) => !["201", "409", "429"].includes(s));
const problems = [
  unexpected.length > 0 ? `unexpected replies: ${unexpected.join(", ")}` : null,
  paid.filter(Boolean).length !== Math.min(stock, buyers) ? `expected ${Math.min(stock, buyers)} paid` : null,
  levels.totals.committed !== paid.filter(Boolean).length ? "committed differs from paid orders" : null,
  levels.totals.onHand !== levels.totals.available + levels.totals.held + levels.totals.committed
    ? "stock equation broken"
    : null,
].filter((p) => p !== null);
if (problems.length > 0) {
  console.error(`FAILED: ${problems.join("; ")}`);
  process.exit(1);
}
console.log("ok: no 5xx, no dropped connection, no oversell");
