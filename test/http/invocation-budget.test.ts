import { env } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BULK_NOT_STARTED } from "../../src/contracts/common";
import { seedBridgeRows } from "../../src/dev/bridge-bench";
import { seedOpenSubOrders } from "../../src/dev/sla-watcher-bench";
import { ADMIN, api, newCustomer, uid } from "../support/api";
import { inr, newProduct, newSku, newVendor, newWarehouse } from "../support/catalog";
import { LIMITS, meteredDelivery, meteredJob, meteredRequest, type Spend } from "../support/invocation-budget";
import { BENGALURU, checkout, customers, pay, shipTo, stockedSku } from "../support/marketplace";
import { type SeededOrder, seedPaidOrders } from "../support/seed-orders";

// The largest requests and job runs must stay well inside one invocation's D1 query and
// subrequest limits; this is the margin the test holds them to, a fifth of each limit. A fifth,
// because a queue delivery runs a page of each continued job beside its events: four such parts
// together still leave a fifth of the limits spare. Each job's run has an invocation of its own
// (test/jobs/job-runs.test.ts), so a job held to a fifth leaves four fifths spare.
const BUDGET = { queries: LIMITS.queries / 5, subrequests: LIMITS.subrequests / 5 };
// An invocation that does one thing alone, a third: a bulk request (the whole work of the ids it
// starts, which src/http/bulk-budget.ts admits by their estimated cost within this share) and the
// invariant audit.
const ALONE = { queries: LIMITS.queries / 3, subrequests: LIMITS.subrequests / 3 };
const CART_LINES = 50;
const PAID_ORDERS = 210;
// More than the watcher's breach pages: the first this many paid orders are left to breach.
const SLA_BREACHES = 105;
const UNPAID_ORDERS = 110;
// The bulk routes' cap.
const BULK_IDS = 20;
const NUDGE_ROWS = 600;

const measured: Record<string, Spend & { note?: string }> = {};
let cartSkus: string[] = [];
let paid: SeededOrder[] = [];
let shopperToken = "";
const monthOn = new Date(Date.now() + 31 * 86_400_000);

/** A vendor with two warehouses and `skus` SKUs stocked `onHand` in each. */
async function vendorOfSkus(skus: number, onHand: number): Promise<string[]> {
  const vendor = await newVendor({ hourlyCapacity: 1_000_000 });
  const warehouses = [
    await newWarehouse(vendor.id, { lat: BENGALURU.lat, lng: BENGALURU.lng }),
    await newWarehouse(vendor.id, { lat: BENGALURU.lat, lng: BENGALURU.lng + 0.5 }),
  ];
  const ids: string[] = [];
  for (let i = 0; i < skus; i++) {
    const sku = await newSku(vendor.id, (await newProduct()).id, { price: inr(2_000) });
    for (const w of warehouses) {
      const r = await api("PUT", `/v1/skus/${sku.id}/stock`, {
        token: ADMIN,
        body: { warehouseId: w.id, onHand, reason: "count" },
      });
      if (r.status !== 200) throw new Error(`stock: ${r.status}`);
    }
    ids.push(sku.id);
  }
  return ids;
}

/** `count` paid orders of one unit of each SKU, one shopper each. */
async function paidOrdersOf(skuIds: string[], count: number): Promise<SeededOrder[]> {
  const shoppers = await customers(count);
  return Promise.all(
    shoppers.map(async (s) => {
      const placed = await checkout(
        s.token,
        skuIds.map((skuId) => ({ skuId, qty: 1 })),
      );
      if (placed.status !== 201) throw new Error(`checkout: ${placed.status} ${JSON.stringify(placed.body)}`);
      const paid = await pay(s.token, placed.body.payment.id);
      if (paid.status !== 200) throw new Error(`pay: ${paid.status}`);
      return {
        orderId: paid.body.id,
        subOrderIds: paid.body.subOrders.map((x: { id: string }) => x.id),
        customerId: s.customerId,
        token: s.token,
      };
    }),
  );
}

/** How many of a bulk request's ids it started, for the printed figures. */
const started = (body: { results: { problem?: { code: string } }[] }) =>
  ` (${body.results.filter((r) => r.problem?.code !== BULK_NOT_STARTED).length} of ${body.results.length} ids started)`;

function within(name: string, spend: Spend, note?: string, budget = BUDGET) {
  measured[name] = { ...spend, note };
  // Soft: every figure is measured and printed even when an earlier one is over.
  expect.soft({ name, queries: spend.queries, subrequests: spend.subrequests }).toEqual({
    name,
    queries: expect.toSatisfy((n: number) => n < budget.queries),
    subrequests: expect.toSatisfy((n: number) => n < budget.subrequests),
  });
}

beforeAll(async () => {
  const stocked: string[] = [];
  for (let i = 0; i < CART_LINES; i += 10) {
    const chunk = await Promise.all(
      Array.from({ length: 10 }, () =>
        stockedSku({
          warehouses: [{ at: { lat: 12.97, lng: 77.59 }, onHand: 10 }],
          vendor: { hourlyCapacity: 1_000_000 },
        }),
      ),
    );
    stocked.push(...chunk.map((s) => s.skuId));
  }
  cartSkus = stocked;
  const seedSku = await stockedSku({
    warehouses: [{ at: { lat: 12.97, lng: 77.59 }, onHand: PAID_ORDERS + UNPAID_ORDERS + 10 }],
    vendor: { hourlyCapacity: 1_000_000 },
  });
  paid = await seedPaidOrders(seedSku.skuId, PAID_ORDERS);
  // Unpaid orders whose holds expire: one shopper each, as the open-hold limit requires.
  const shoppers = await customers(UNPAID_ORDERS);
  for (let i = 0; i < shoppers.length; i += 10) {
    await Promise.all(
      shoppers.slice(i, i + 10).map(async (s) => {
        const r = await checkout(s.token, [{ skuId: seedSku.skuId, qty: 1 }]);
        if (r.status !== 201) throw new Error(`unpaid checkout: ${r.status}`);
      }),
    );
  }
  shopperToken = (await newCustomer()).token;
}, 180_000);

afterAll(() => {
  const rows = Object.entries(measured).map(
    ([name, s]) => `${name}: ${s.queries} queries, ${s.subrequests} subrequests ${JSON.stringify(s.by)}${s.note ?? ""}`,
  );
  console.log(`invocation budget (limits ${LIMITS.queries}/${LIMITS.subrequests}):\n${rows.join("\n")}`);
});

describe("one invocation's D1 queries and subrequests", () => {
  it(`a ${CART_LINES}-line checkout from ${CART_LINES} vendors, and its payment`, async () => {
    const placed = await meteredRequest("POST", "/v1/checkout", {
      token: shopperToken,
      body: { lines: cartSkus.map((skuId) => ({ skuId, qty: 1 })), shipTo: shipTo() },
      headers: { "Idempotency-Key": uid("idem-") },
    });
    expect(placed.status).toBe(201);
    expect(placed.body.order.subOrders).toHaveLength(CART_LINES);
    within("checkout, 50 lines", placed.spend);
    const payment = await meteredRequest("POST", `/v1/payments/${placed.body.payment.id}/simulate`, {
      token: shopperToken,
      body: { outcome: "succeeded" },
    });
    expect(payment.status).toBe(200);
    within("payment of a 50-vendor order", payment.spend);
  });

  it("the largest page of orders", async () => {
    const page = await meteredRequest("GET", "/v1/orders?limit=200", { token: ADMIN });
    measured["orders page, limit 200"] = { ...page.spend, note: ` -> ${page.status}` };
    expect(page.status).toBe(200);
    expect(page.body.items).toHaveLength(200);
    within("orders page, limit 200", page.spend);
  });

  it("the order list export, every order, as CSV and as PDF", async () => {
    const csv = await meteredRequest("GET", "/v1/orders/export?format=csv", { token: ADMIN });
    expect(csv.status).toBe(200);
    within("orders export, csv", csv.spend);
    const pdf = await meteredRequest("GET", "/v1/orders/export?format=pdf", { token: ADMIN });
    expect(pdf.status).toBe(200);
    within("orders export, pdf", pdf.spend);
  });

  it(`the largest bulk requests (${BULK_IDS} ids)`, async () => {
    // Ids from the later half: the first half waits untouched for the SLA watcher
    // (a flagged order is held for review, and the watcher leaves held orders alone).
    const half = paid.slice(SLA_BREACHES);
    const orderIds = Array.from({ length: BULK_IDS }, (_, i) => half[i % half.length]!.orderId);
    const flagged = await meteredRequest("POST", "/v1/orders/bulk", {
      token: ADMIN,
      body: { action: "flag", note: "budget check", ids: orderIds },
    });
    expect(flagged.status).toBe(200);
    within(`orders bulk flag, ${BULK_IDS} ids`, flagged.spend, undefined, ALONE);
    const subIds = Array.from({ length: BULK_IDS }, (_, i) => half[i % half.length]!.subOrderIds[0]!);
    const confirmed = await meteredRequest("POST", "/v1/sub-orders/bulk", {
      token: ADMIN,
      headers: { "Idempotency-Key": uid("bulk-") },
      body: { action: "confirm", ids: subIds },
    });
    expect(confirmed.status).toBe(200);
    within(`sub-orders bulk confirm, ${BULK_IDS} ids`, confirmed.spend, undefined, ALONE);
  });

  it(`the costliest bulk actions (${BULK_IDS} ids): whole-order cancels and assigns`, async () => {
    // Three vendors an order, and one vendor with three SKUs, each in two warehouses so an assign
    // has somewhere to go.
    const vendors = await Promise.all(Array.from({ length: 3 }, () => vendorOfSkus(1, BULK_IDS + 5)));
    const cancels = await paidOrdersOf(vendors.flat(), BULK_IDS);
    const cancelled = await meteredRequest("POST", "/v1/orders/bulk", {
      token: ADMIN,
      body: { action: "cancel", reason: "changed_mind", ids: cancels.map((o) => o.orderId) },
    });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.results[0].ok).toBe(true);
    within(`orders bulk cancel, ${BULK_IDS} three-vendor orders`, cancelled.spend, started(cancelled.body), ALONE);
    const assigns = await paidOrdersOf(await vendorOfSkus(3, BULK_IDS + 5), BULK_IDS);
    const assigned = await meteredRequest("POST", "/v1/sub-orders/bulk", {
      token: ADMIN,
      headers: { "Idempotency-Key": uid("bulk-") },
      body: { action: "assign", target: {}, ids: assigns.map((o) => o.subOrderIds[0]!) },
    });
    expect(assigned.status).toBe(200);
    expect(assigned.body.results[0].ok).toBe(true);
    within(`sub-orders bulk assign, ${BULK_IDS} three-SKU sub-orders`, assigned.spend, started(assigned.body), ALONE);
  });

  it("a queue delivery: a page of each continued job beside a full delivery's order events", async () => {
    // Events already handled, delivered again: every consumer does its work again, finding it done.
    const rows = await env.DB.prepare(
      "select id, type, order_id as orderId, created_at as at, payload from outbox order by id desc limit 48",
    ).all<{ id: number; type: string; orderId: string | null; at: string; payload: string }>();
    const events = rows.results.map((r) => ({ ...r, payload: JSON.parse(r.payload) }));
    const from = { key: "", id: "" };
    const delivery = await meteredDelivery([
      { type: "job.continue", job: "expire-holds", at: new Date(Date.now() + 3_600_000).toISOString(), after: from },
      { type: "job.continue", job: "sla-watcher", at: monthOn.toISOString().replace(/\.\d{3}Z$/, "Z"), after: from },
      ...events,
    ]);
    expect(delivery.result.retryMessages).toEqual([]);
    expect(delivery.result.explicitAcks).toHaveLength(events.length + 2);
    within(`queue delivery, 2 job pages and ${events.length} events`, delivery.spend);
  });

  it("expire-holds over more unpaid orders than one batch", async () => {
    const run = await meteredJob("expire-holds", new Date(Date.now() + 3_600_000));
    expect(run.error).toBeUndefined();
    within("job expire-holds", run.spend, ` ${JSON.stringify(run.result)}`);
  });

  it("the outbox sweep over more waiting events than one batch", async () => {
    // Every event so far was queued right after its batch; forget that, as if each dispatch was lost.
    const reset = await env.DB.prepare("update outbox set dispatched_at = null").run();
    expect(reset.meta.changes).toBeGreaterThan(500);
    const run = await meteredJob("outbox-sweep", new Date(Date.now() + 60_000));
    expect(run.error).toBeUndefined();
    within("job outbox-sweep", run.spend, ` ${JSON.stringify(run.result)}`);
  });

  it("the notification sender over a full minute's worth", async () => {
    // The queue consumer writes the confirmations in the background; wait until most are there.
    for (let i = 0; i < 50; i++) {
      const row = await env.DB.prepare("select count(*) as n from notifications where status = 'queued'").first<{
        n: number;
      }>();
      if ((row?.n ?? 0) >= PAID_ORDERS) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const run = await meteredJob("notification-sender", new Date());
    expect(run.error).toBeUndefined();
    within("job notification-sender", run.spend, ` ${JSON.stringify(run.result)}`);
  });

  it("the SLA watcher with a full breach batch and a full nudge batch due", async () => {
    const [customer, vendor] = await Promise.all([newCustomer(), newVendor()]);
    const seeded = await seedOpenSubOrders(env, {
      tag: uid("b")
        .toLowerCase()
        .replace(/[^a-z0-9]/g, "")
        .slice(0, 24),
      count: NUDGE_ROWS,
      nudgeEvery: 1,
      at: monthOn,
      customerId: customer.customerId,
      vendorId: vendor.id,
    });
    expect(seeded).toMatchObject({ ok: true, inNudgeLead: NUDGE_ROWS });
    const run = await meteredJob("sla-watcher", monthOn);
    expect(run.error).toBeUndefined();
    within("job sla-watcher", run.spend, ` ${JSON.stringify(run.result)}`);
  });

  it("the inventory bridge with more than a page of rows staged, by cron and by queue", async () => {
    const [vendor, product] = await Promise.all([newVendor(), newProduct()]);
    const warehouse = await newWarehouse(vendor.id);
    const tag = uid("br")
      .toLowerCase()
      .replace(/[^a-z0-9]/g, "")
      .slice(0, 24);
    const input = { tag, vendorId: vendor.id, productId: product.id, warehouseId: warehouse.id };
    await seedBridgeRows(env, { ...input, skus: 250, rowsPerSku: 20 });
    const run = await meteredJob("inventory-bridge", new Date());
    expect(run.error).toBeUndefined();
    expect(run.result).toMatchObject({ skus: 100, rows: 2000, continued: true });
    within("job inventory-bridge", run.spend, ` ${JSON.stringify(run.result)}`);
    const at = new Date().toISOString();
    const delivery = await meteredDelivery([
      { type: "job.continue", job: "inventory-bridge", at, after: { key: "", id: "" } },
    ]);
    expect(delivery.result.retryMessages).toEqual([]);
    within("queue delivery, an inventory-bridge page", delivery.spend);
  });

  it("the analytics roll-ups with more events and more dirty days than a page", async () => {
    // A year of days marked dirty, as a rebuild leaves them: the run recomputes its page of them.
    await env.DB.prepare(
      `with recursive d(n) as (select 0 union all select n + 1 from d where n < 365)
       insert into rollup_dirty_days (day, marked_at) select date('now', '-' || n || ' days'), '2026-01-01T00:00:00Z' from d where true
       on conflict do nothing`,
    ).run();
    const run = await meteredJob("analytics-rollups", new Date());
    expect(run.error).toBeUndefined();
    expect(run.result).toMatchObject({ continued: true });
    within("job analytics-rollups", run.spend, ` ${JSON.stringify(run.result)}`);
  });

  it("the low-stock check over the whole stock mirror", async () => {
    const run = await meteredJob("low-stock-alerts", new Date());
    expect(run.error).toBeUndefined();
    within("job low-stock-alerts", run.spend, ` ${JSON.stringify(run.result)}`);
  });

  it("the invariant audit over more paid orders than one statement may name", async () => {
    const run = await meteredJob("audit-invariants", new Date());
    measured["job audit-invariants"] = { ...run.spend, note: run.error ? ` threw: ${run.error.slice(0, 80)}` : "" };
    expect(run.error).toBeUndefined();
    within("job audit-invariants", run.spend, ` ${JSON.stringify(run.result)}`, ALONE);
  });

  it("the pending-refunds job with more refunds owed than a tick takes", async () => {
    // Owed as a cancel or return records a refund the provider failed; after the audit, whose
    // orders these refunds change.
    const owed = paid.slice(-120).map((o) => o.orderId);
    await env.DB.prepare(
      `insert into pending_refunds (id, sub_order_id, order_id, payment_id, amount_minor, currency, reason, attempts, created_at)
       select 'refund:budget:' || o.id, s.id, o.id, p.id, 100, o.currency, 'changed_mind', 0, ?2
       from json_each(?1) j join orders o on o.id = j.value join sub_orders s on s.order_id = o.id
       join payments p on p.order_id = o.id`,
    )
      .bind(JSON.stringify(owed), new Date(Date.now() - 600_000).toISOString())
      .run();
    const run = await meteredJob("pending-refunds", new Date(Date.now() + 60_000));
    expect(run.error).toBeUndefined();
    within("job pending-refunds", run.spend, ` ${JSON.stringify(run.result)}`);
  });
});
