import { env, SELF } from "cloudflare:test";
import { extractText, getDocumentProxy } from "unpdf";
import { describe, expect, it } from "vitest";
import { seedOpenSubOrders } from "../../src/dev/sla-watcher-bench";
import { MAX_PDF_ORDERS } from "../../src/exports/order-list";
import { ADMIN, api, newCustomer, tokenFor, uid } from "../support/api";
import { newVendor } from "../support/catalog";

/** The most rows a PDF's table holds (the README's limit), order list and payout statement alike. */
const MAX_PDF_SUB_ORDERS = 1_000;
const MAX_STATEMENT_ROWS = 1_000;

/** A tag for seeded ids: lower-case letters and digits only. */
const tagOf = () =>
  uid("p")
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "")
    .slice(0, 16);

/** `count` paid orders of one customer, each with a sub-order from `first` and then one from each of `others`. */
async function seedOrders(count: number, first: string, others: string[]) {
  const tag = tagOf();
  const customer = await newCustomer();
  const seeded = await seedOpenSubOrders(env, {
    tag,
    count,
    nudgeEvery: 1,
    at: new Date(),
    customerId: customer.customerId,
    vendorId: first,
  });
  expect(seeded).toMatchObject({ ok: true, seeded: count });
  const more = env.DB.prepare(
    `insert into sub_orders (id, order_id, vendor_id, status, currency, subtotal_minor, shipping_minor, total_minor, commission_bps, commission_minor, sla_dispatch_by, created_at, updated_at)
     select 'sub_' || ?2 || substr(id, 4), order_id, ?1, status, currency, subtotal_minor, shipping_minor, total_minor, commission_bps, commission_minor, sla_dispatch_by, created_at, updated_at
     from sub_orders where id like 'sub_b' || ?3 || '\\_%' escape '\\'`,
  );
  if (others.length > 0) await env.DB.batch(others.map((vendorId, k) => more.bind(vendorId, `v${k}`, tag)));
  return tag;
}

async function pdfText(res: Response): Promise<{ text: string; pages: number }> {
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("application/pdf");
  const doc = await getDocumentProxy(new Uint8Array(await res.arrayBuffer()));
  const { text } = await extractText(doc, { mergePages: true });
  return { text, pages: doc.numPages };
}

describe("an order list PDF counts its rows, one a sub-order", () => {
  it(`refuses more than ${MAX_PDF_SUB_ORDERS} sub-orders with 422 though the orders are fewer than ${MAX_PDF_ORDERS}; a vendor counts only its own`, async () => {
    const perOrder = 4;
    const orders = Math.floor(MAX_PDF_SUB_ORDERS / perOrder) + 1;
    expect(orders).toBeLessThanOrEqual(MAX_PDF_ORDERS);
    const vendors = await Promise.all(Array.from({ length: perOrder }, () => newVendor()));
    const [first, ...others] = vendors.map((v) => v.id as string);
    const tag = await seedOrders(orders, first!, others);

    const r = await api("GET", `/v1/orders/export?format=pdf&vendorId=${first}`, { token: ADMIN });
    expect(r.status).toBe(422);
    expect(r.headers.get("content-type")).toContain("application/problem+json");
    expect(r.body.errors[0].message).toContain(`${orders * perOrder} sub-orders match`);
    expect(r.body.errors[0].message).toContain("narrow the dates");

    // The CSV has no such limit, and the vendor's own PDF holds one row an order.
    expect((await api("GET", `/v1/orders/export?format=csv&vendorId=${first}`, { token: ADMIN })).status).toBe(200);
    const own = await SELF.fetch("https://oms.test/v1/orders/export?format=pdf", {
      headers: { authorization: `Bearer ${await tokenFor("vendor", { vendorId: first })}` },
    });
    expect(own.headers.get("x-export-orders")).toBe(String(orders));
    const { text } = await pdfText(own);
    expect(text.match(new RegExp(`ord_b${tag}_`, "g"))).toHaveLength(orders);
  });
});

describe("a payout statement PDF", () => {
  it(`prints at most ${MAX_STATEMENT_ROWS} sub-orders, totals them all, and points to the CSV`, async () => {
    const count = MAX_STATEMENT_ROWS + 5;
    const vendor = await newVendor({ name: `Bulk Payee ${uid()}` });
    const tag = await seedOrders(count, vendor.id, []);
    const runId = `run_${tag}`;
    const at = "2026-11-20T09:00:00Z";
    await env.DB.batch([
      env.DB.prepare(
        `insert into payout_runs (id, status, currency, period_from, period_before, lease_until, started_at, finished_at)
         values (?1, 'paid', 'INR', '2026-11-13T09:00:00Z', ?2, ?2, ?2, ?2)`,
      ).bind(runId, at),
      env.DB.prepare(
        `insert into payout_transfers (id, run_id, sub_order_id, order_id, vendor_id, destination, status, payable_minor, amount_minor, currency, created_at, confirmed_at)
         select 'tr_' || substr(id, 5), ?1, id, order_id, vendor_id, 'acct_sim', 'paid', 17910, 17910, 'INR', ?2, ?2
         from sub_orders where id like 'sub_b' || ?3 || '\\_%' escape '\\'`,
      ).bind(runId, at, tag),
    ]);

    const path = `/v1/vendors/${vendor.id}/payouts/${runId}/statement.pdf`;
    const res = await SELF.fetch(`https://oms.test${path}`, { headers: { authorization: `Bearer ${ADMIN}` } });
    const { text, pages } = await pdfText(res);
    expect(text.match(new RegExp(`sub_b${tag}_`, "g"))).toHaveLength(MAX_STATEMENT_ROWS);
    const net = new Intl.NumberFormat("en-IN", { minimumFractionDigits: 2 }).format((count * 17910) / 100);
    expect(text).toContain(`₹${net}`);
    expect(text.replace(/\s+/g, " ")).toContain(
      `The first ${MAX_STATEMENT_ROWS} of ${count} sub-orders; 5 more are left out here. The statement CSV has every row.`,
    );
    expect(pages).toBeLessThanOrEqual(25);

    const csv = await api("GET", path.replace(".pdf", ".csv"), { token: ADMIN });
    expect(csv.status).toBe(200);
    expect(String(csv.body).match(new RegExp(`sub_b${tag}_`, "g"))).toHaveLength(count);
  });
});
