import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import {
  platformAnalytics,
  rangeOf,
  topVendors,
  vendorAnalytics,
  vendorInventory,
  vendorProductSales,
} from "../../analytics/reports";
import { AnalyticsVendorParams } from "../../contracts/analytics";
import { problemResponses } from "../../contracts/common";
import {
  AnalyticsExportQuery,
  CreditNoteParams,
  OrderExportQuery,
  TopVendorsExportQuery,
} from "../../contracts/exports";
import { database } from "../../db/client";
import { countExportOrders, countExportRows, type ExportFilter, findCreditNote } from "../../db/order-export";
import { warehouseVendor } from "../../db/orders";
import { findVendor } from "../../db/vendors";
import { isoSeconds } from "../../domain/time";
import {
  inventoryReport,
  platformReport,
  productsReport,
  type ReportFile,
  reportCsv,
  reportPdf,
  topVendorsReport,
  vendorReport,
} from "../../exports/analytics-reports";
import { creditNotePdf } from "../../exports/credit-note";
import {
  MAX_CSV_ORDERS,
  MAX_PDF_ORDERS,
  MAX_PDF_SUB_ORDERS,
  orderListCsv,
  orderListPdf,
} from "../../exports/order-list";
import { config } from "../../platform/config";
import { requireRole } from "../auth";
import { type AppEnv, router } from "../context";
import { ApiError, validationError } from "../errors";
import { defineRoute } from "../route";
import { actsFor, notFound, principalOf } from "../scope";

const binary = z.string().openapi({ format: "binary" });

const orderExport = defineRoute({
  method: "get",
  path: "/orders/export",
  access: ["admin", "ops", "vendor"],
  summary: "Export a filtered order list as CSV or PDF",
  description: `The list's filters, every matching order (no paging). CSV: one row per sub-order, amounts as exact decimals in major units, streamed page by page; at most ${MAX_CSV_ORDERS} orders. PDF: the count and totals, orders a day as a chart and the rows; at most ${MAX_PDF_ORDERS} orders and ${MAX_PDF_SUB_ORDERS} sub-orders (its rows). A wider filter is refused with 422 before anything is sent, and \`X-Export-Orders\` says how many orders the file holds, for a progress bar. A vendor exports only its own sub-orders, without order totals.`,
  request: { query: OrderExportQuery },
  responses: {
    200: {
      description: "The file, as an attachment",
      headers: { "X-Export-Orders": { schema: { type: "integer" }, description: "Orders in the file" } },
      content: { "text/csv": { schema: binary }, "application/pdf": { schema: binary } },
    },
    ...problemResponses,
  },
});

const creditNote = defineRoute({
  method: "get",
  path: "/credit-notes/{creditNoteId}/pdf",
  access: ["admin", "ops", "vendor", "customer"],
  summary: "A credit note as a PDF",
  description:
    "The shopper whose order it is, the vendor whose sub-order it credits, and ops read it; 404 to anyone else, worded as for a missing note.",
  request: { params: CreditNoteParams },
  responses: {
    200: { description: "The credit note", content: { "application/pdf": { schema: binary } } },
    ...problemResponses,
  },
});

/** The filter as the caller may use it: a vendor's is pinned to itself, and another's ids are 404. */
async function exportFilter(c: Context<AppEnv>, q: z.infer<typeof OrderExportQuery>) {
  const who = requireRole(c, "admin", "ops", "vendor");
  const filter: ExportFilter = {
    vendorId: q.vendorId,
    warehouseId: q.warehouseId,
    status: q.status,
    from: q.from,
    to: q.to,
    held: q.held,
    ascending: q.sort === "createdAt",
  };
  if (who.role !== "vendor") return { filter, audience: "ops" as const };
  if (q.vendorId && q.vendorId !== who.vendorId) throw new ApiError("NOT_FOUND", "No such vendor");
  if (q.warehouseId && (await warehouseVendor(database(c.env), q.warehouseId)) !== who.vendorId) {
    throw new ApiError("NOT_FOUND", "No such warehouse");
  }
  return {
    filter: { ...filter, vendorId: who.vendorId, ownVendorId: who.vendorId, hideHeld: true },
    audience: "vendor" as const,
  };
}

function describeFilter(q: z.infer<typeof OrderExportQuery>): string {
  const parts = (["status", "vendorId", "warehouseId", "from", "to"] as const)
    .filter((k) => q[k])
    .map((k) => `${k} ${q[k]}`);
  if (q.held !== undefined) parts.push(q.held ? "held for review" : "not held for review");
  return parts.length > 0 ? `Filter: ${parts.join(", ")}.` : "All orders.";
}

/** A filter that matches more than its file may hold: refused before anything is sent, never cut short. */
const tooWide = (matching: string) => validationError([{ path: "from", message: `${matching}: narrow the dates` }]);

function attachment(name: string, type: string, orders?: number): Record<string, string> {
  return {
    "content-type": type,
    "content-disposition": `attachment; filename="${name}"`,
    "cache-control": "no-store",
    ...(orders === undefined ? {} : { "x-export-orders": String(orders) }),
  };
}

const reportContent = {
  200: {
    description: "The report, as an attachment",
    content: { "text/csv": { schema: binary }, "application/pdf": { schema: binary } },
  },
  ...problemResponses,
};

const reportNote = (report: string, vendor = false) =>
  `${report} as a file, from the same roll-ups and with the same range rules: CSV (its table, amounts as exact decimals in major units, rates in percent, each row stamped with \`as_of\`) or PDF (headline figures, a daily chart drawn as vectors, the table, as of when).${vendor ? " A vendor exports only its own; another vendor's id is 404." : ""}`;

const platformExport = defineRoute({
  method: "get",
  path: "/analytics/platform/export",
  access: ["admin", "ops"],
  summary: "The platform report as CSV or PDF",
  description: reportNote("GET /analytics/platform"),
  request: { query: AnalyticsExportQuery },
  responses: reportContent,
});

const topVendorsExport = defineRoute({
  method: "get",
  path: "/analytics/platform/top-vendors/export",
  access: ["admin", "ops"],
  summary: "Top vendors as CSV or PDF",
  description: reportNote("GET /analytics/platform/top-vendors"),
  request: { query: TopVendorsExportQuery },
  responses: reportContent,
});

const vendorExport = defineRoute({
  method: "get",
  path: "/analytics/vendors/{vendorId}/export",
  access: ["admin", "ops", "vendor"],
  summary: "A vendor's sales report as CSV or PDF",
  description: reportNote("GET /analytics/vendors/{vendorId}", true),
  request: { params: AnalyticsVendorParams, query: AnalyticsExportQuery },
  responses: reportContent,
});

const productsExport = defineRoute({
  method: "get",
  path: "/analytics/vendors/{vendorId}/products/export",
  access: ["admin", "ops", "vendor"],
  summary: "A vendor's sales by product as CSV or PDF",
  description: reportNote("GET /analytics/vendors/{vendorId}/products", true),
  request: { params: AnalyticsVendorParams, query: AnalyticsExportQuery },
  responses: reportContent,
});

const inventoryExport = defineRoute({
  method: "get",
  path: "/analytics/vendors/{vendorId}/inventory/export",
  access: ["admin", "ops", "vendor"],
  summary: "A vendor's inventory turnover and cover as CSV or PDF",
  description: reportNote("GET /analytics/vendors/{vendorId}/inventory", true),
  request: { params: AnalyticsVendorParams, query: AnalyticsExportQuery },
  responses: reportContent,
});

const marketplace = (env: Env) => {
  const c = config(env);
  return { currency: c.currency, timeZone: c.timeZone };
};

/** The vendor's name, when the caller may read its reports: 404 for another vendor's id or an unknown one. */
async function readableVendorName(c: Context<AppEnv>, vendorId: string): Promise<string> {
  const known = actsFor(principalOf(c), vendorId) ? await findVendor(database(c.env), vendorId) : null;
  if (!known) throw notFound("vendor", vendorId);
  return known.name;
}

async function sendReport(file: ReportFile, format: "csv" | "pdf"): Promise<Response> {
  if (format === "csv") {
    return new Response(reportCsv(file), {
      status: 200,
      headers: attachment(`${file.name}.csv`, "text/csv; charset=utf-8"),
    });
  }
  return new Response(await reportPdf(file), {
    status: 200,
    headers: attachment(`${file.name}.pdf`, "application/pdf"),
  });
}

export const fileExports = router()
  .openapi(orderExport, async (c) => {
    const q = c.req.valid("query");
    const { filter, audience } = await exportFilter(c, q);
    const db = database(c.env);
    const max = q.format === "csv" ? MAX_CSV_ORDERS : MAX_PDF_ORDERS;
    const matching = await countExportOrders(db, filter);
    if (matching > max) throw tooWide(`${matching} orders match; a ${q.format} export holds at most ${max}`);
    if (q.format === "pdf") {
      // Counted only once the orders are few enough, so the join stays small.
      const rows = await countExportRows(db, filter);
      if (rows > MAX_PDF_SUB_ORDERS) {
        throw tooWide(`${rows} sub-orders match; a pdf export holds at most ${MAX_PDF_SUB_ORDERS}, a row each`);
      }
    }
    const now = isoSeconds(new Date());
    const stamp = now.slice(0, 16).replace(":", "");
    if (q.format === "csv") {
      return new Response(orderListCsv(db, filter, audience), {
        status: 200,
        headers: attachment(`orders-${stamp}.csv`, "text/csv; charset=utf-8", matching),
      });
    }
    const pdf = await orderListPdf(db, filter, audience, {
      filter: describeFilter(q),
      asOf: now,
      currency: config(c.env).currency,
    });
    return new Response(pdf, { status: 200, headers: attachment(`orders-${stamp}.pdf`, "application/pdf", matching) });
  })
  .openapi(creditNote, async (c) => {
    const who = requireRole(c, "admin", "ops", "vendor", "customer");
    const { creditNoteId } = c.req.valid("param");
    const note = await findCreditNote(database(c.env), creditNoteId);
    const visible =
      note &&
      (who.role === "admin" ||
        who.role === "ops" ||
        (who.role === "vendor" && who.vendorId === note.vendorId && !note.orderHeld) ||
        (who.role === "customer" && who.customerId === note.customerId));
    if (!visible) throw new ApiError("NOT_FOUND", `No credit note ${creditNoteId}`);
    const pdf = await creditNotePdf(note, isoSeconds(new Date()), config(c.env).financialYear);
    return new Response(pdf, { status: 200, headers: attachment(`credit-note-${note.id}.pdf`, "application/pdf") });
  })
  .openapi(platformExport, async (c) => {
    const q = c.req.valid("query");
    const m = marketplace(c.env);
    const report = await platformAnalytics(database(c.env), m, rangeOf(q, m.timeZone, new Date()));
    return sendReport(platformReport(report), q.format);
  })
  .openapi(topVendorsExport, async (c) => {
    const q = c.req.valid("query");
    const m = marketplace(c.env);
    const report = await topVendors(database(c.env), m, rangeOf(q, m.timeZone, new Date()), q.limit);
    return sendReport(topVendorsReport(report), q.format);
  })
  .openapi(vendorExport, async (c) => {
    const { vendorId } = c.req.valid("param");
    const name = await readableVendorName(c, vendorId);
    const q = c.req.valid("query");
    const m = marketplace(c.env);
    const report = await vendorAnalytics(database(c.env), m, vendorId, rangeOf(q, m.timeZone, new Date()));
    return sendReport(vendorReport(report, name), q.format);
  })
  .openapi(productsExport, async (c) => {
    const { vendorId } = c.req.valid("param");
    const name = await readableVendorName(c, vendorId);
    const q = c.req.valid("query");
    const m = marketplace(c.env);
    const report = await vendorProductSales(database(c.env), m, vendorId, rangeOf(q, m.timeZone, new Date()));
    return sendReport(productsReport(report, name), q.format);
  })
  .openapi(inventoryExport, async (c) => {
    const { vendorId } = c.req.valid("param");
    const name = await readableVendorName(c, vendorId);
    const q = c.req.valid("query");
    const m = marketplace(c.env);
    const now = new Date();
    const report = await vendorInventory(database(c.env), m, vendorId, rangeOf(q, m.timeZone, now), now);
    return sendReport(inventoryReport(report, name), q.format);
  });
