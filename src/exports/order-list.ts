import type { Db } from "../db/client";
import { type ExportFilter, type ExportRow, exportOrderPage } from "../db/order-export";
import type { After } from "../db/paging";
import { decimalAmount, displayAmount } from "../domain/money";
import { csv } from "./csv";
import { displayTime } from "./format";
import { type PdfReport, renderPdf } from "./pdf";

/**
 * Orders per D1 query while streaming: one query a page (order-export.ts), so 100,000 orders cost
 * 200 queries, inside a fifth of an invocation's 1,000, and a page's rows stay well under a megabyte.
 */
export const EXPORT_PAGE_ORDERS = 500;
/** The most orders one CSV export streams; a wider filter is refused up front (narrow the dates). */
export const MAX_CSV_ORDERS = 100_000;
/** A PDF is built whole in memory (pdf-lib has no streaming writer), so it holds far fewer. */
export const MAX_PDF_ORDERS = 1_000;
/**
 * The PDF's table rows, one a sub-order, are what its memory grows with: a thousand take some 30 MB
 * of a Worker isolate's 128 MB, and a thousand orders of up to 50 sub-orders each would not fit.
 */
export const MAX_PDF_SUB_ORDERS = 1_000;

/** Who reads the export: a vendor's leaves out the order's total (other vendors' money). */
export type Audience = "ops" | "vendor";

const OPS_COLUMNS = [
  "order_id",
  "created_at",
  "order_status",
  "payment_status",
  "customer_id",
  "order_total",
  "currency",
  "sub_order_id",
  "vendor_id",
  "vendor_name",
  "sub_order_status",
  "sub_order_total",
] as const;
const VENDOR_COLUMNS = OPS_COLUMNS.filter((c) => c !== "order_total");

function csvRecord(r: ExportRow): Record<(typeof OPS_COLUMNS)[number], string> {
  return {
    order_id: r.orderId,
    created_at: r.createdAt,
    order_status: r.orderStatus,
    payment_status: r.paymentStatus,
    customer_id: r.customerId,
    order_total: decimalAmount(r.orderTotalMinor, r.currency),
    currency: r.currency,
    sub_order_id: r.subOrderId,
    vendor_id: r.vendorId,
    vendor_name: r.vendorName ?? "",
    sub_order_status: r.subOrderStatus,
    sub_order_total: decimalAmount(r.subOrderTotalMinor, r.currency),
  };
}

/**
 * The filtered order list as CSV (one row per sub-order, amounts as exact decimals), streamed: each
 * pull reads one keyset page and writes it, so a list of many thousand orders never sits in memory
 * and the client sees rows as they come (the dashboards' progress bar counts them).
 */
export function orderListCsv(db: Db, filter: ExportFilter, audience: Audience): ReadableStream<Uint8Array> {
  const columns = audience === "ops" ? [...OPS_COLUMNS] : VENDOR_COLUMNS;
  const encoder = new TextEncoder();
  let after: After | undefined;
  let first = true;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const page = await exportOrderPage(db, filter, after, EXPORT_PAGE_ORDERS);
      const text = csv(page.rows.map(csvRecord), { header: first, bom: first, columns });
      first = false;
      if (text) controller.enqueue(encoder.encode(text));
      if (!page.next) controller.close();
      after = page.next;
    },
  });
}

/** Every row of the filter (at most MAX_PDF_SUB_ORDERS, checked by the caller before). */
async function allRows(db: Db, filter: ExportFilter): Promise<ExportRow[]> {
  const rows: ExportRow[] = [];
  let after: After | undefined;
  do {
    const page = await exportOrderPage(db, filter, after, EXPORT_PAGE_ORDERS);
    rows.push(...page.rows);
    after = page.next;
  } while (after);
  return rows;
}

/**
 * Sums by currency, in minor units: a marketplace may in principle hold more than one. No rows
 * sum to zero in the marketplace's own currency.
 */
function totalsByCurrency(rows: { currency: string; amountMinor: number }[], marketplaceCurrency: string): string {
  const sums = new Map<string, number>();
  for (const r of rows) sums.set(r.currency, (sums.get(r.currency) ?? 0) + r.amountMinor);
  if (sums.size === 0) return displayAmount(0, marketplaceCurrency);
  return [...sums].map(([currency, minor]) => displayAmount(minor, currency)).join(" + ");
}

/** Orders a day (UTC), oldest first: the PDF's chart. */
function ordersByDay(rows: ExportRow[]) {
  const days = new Map<string, Set<string>>();
  for (const r of rows) {
    const day = r.createdAt.slice(0, 10);
    const ids = days.get(day) ?? new Set<string>();
    ids.add(r.orderId);
    days.set(day, ids);
  }
  return [...days]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([day, ids]) => ({ label: day.slice(5), value: ids.size }));
}

/** The filtered order list as a PDF: how many orders and how much, orders a day, and the rows. */
export async function orderListPdf(
  db: Db,
  filter: ExportFilter,
  audience: Audience,
  describe: { filter: string; asOf: string; currency: string },
): Promise<Uint8Array> {
  const rows = await allRows(db, filter);
  const orderIds = new Set(rows.map((r) => r.orderId));
  const firstOfOrder = rows.filter((r, i) => i === 0 || rows[i - 1]!.orderId !== r.orderId);
  const report: PdfReport = {
    title: audience === "ops" ? "Orders" : "Your sub-orders",
    lines: [describe.filter, `As of ${displayTime(describe.asOf)}. Times in UTC; one row per sub-order.`],
    figures: [
      { label: "Orders", value: String(orderIds.size) },
      { label: "Sub-orders", value: String(rows.length) },
      audience === "ops"
        ? {
            label: "Order totals",
            value: totalsByCurrency(
              firstOfOrder.map((r) => ({ currency: r.currency, amountMinor: r.orderTotalMinor })),
              describe.currency,
            ),
          }
        : {
            label: "Sub-order totals",
            value: totalsByCurrency(
              rows.map((r) => ({ currency: r.currency, amountMinor: r.subOrderTotalMinor })),
              describe.currency,
            ),
          },
    ],
    chart: { title: "Orders a day (UTC)", bars: ordersByDay(rows), format: (v) => String(Math.round(v)) },
    table: {
      columns: [
        // Points on the page: an order id (ord_ and 24 hex digits) fits whole even in its widest
        // digits, so it can be searched for.
        { title: "Created", width: 84 },
        { title: "Order", width: 140 },
        { title: "Status", width: 62 },
        { title: "Vendor", width: 90 },
        { title: "Sub-order status", width: 68 },
        { title: "Sub-order total", width: 72, right: true },
      ],
      rows: rows.map((r) => [
        displayTime(r.createdAt),
        r.orderId,
        r.orderStatus,
        r.vendorName ?? r.vendorId,
        r.subOrderStatus,
        displayAmount(r.subOrderTotalMinor, r.currency),
      ]),
    },
    ...(rows.length === 0 ? { footnote: "No orders match this filter." } : {}),
  };
  return renderPdf(report);
}
