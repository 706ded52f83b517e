import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { problemResponses } from "../../contracts/common";
import { CreditNoteParams, OrderExportQuery } from "../../contracts/exports";
import { database } from "../../db/client";
import { countExportOrders, type ExportFilter, findCreditNote } from "../../db/order-export";
import { warehouseVendor } from "../../db/orders";
import { isoSeconds } from "../../domain/time";
import { creditNotePdf } from "../../exports/credit-note";
import { MAX_CSV_ORDERS, MAX_PDF_ORDERS, orderListCsv, orderListPdf } from "../../exports/order-list";
import { requireRole } from "../auth";
import { type AppEnv, router } from "../context";
import { ApiError, validationError } from "../errors";
import { defineRoute } from "../route";

const binary = z.string().openapi({ format: "binary" });

const orderExport = defineRoute({
  method: "get",
  path: "/orders/export",
  access: ["admin", "ops", "vendor"],
  summary: "Export a filtered order list as CSV or PDF",
  description: `The list's filters, every matching order (no paging). CSV: one row per sub-order, amounts as exact decimals in major units, streamed page by page; at most ${MAX_CSV_ORDERS} orders. PDF: the count and totals, orders a day as a chart and the rows; at most ${MAX_PDF_ORDERS} orders. A wider filter is refused with 422 before anything is sent, and \`X-Export-Orders\` says how many orders the file holds, for a progress bar. A vendor exports only its own sub-orders, without order totals.`,
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
  return parts.length > 0 ? `Filter: ${parts.join(", ")}.` : "All orders.";
}

function attachment(name: string, type: string, orders?: number): Record<string, string> {
  return {
    "content-type": type,
    "content-disposition": `attachment; filename="${name}"`,
    "cache-control": "no-store",
    ...(orders === undefined ? {} : { "x-export-orders": String(orders) }),
  };
}

export const fileExports = router()
  .openapi(orderExport, async (c) => {
    const q = c.req.valid("query");
    const { filter, audience } = await exportFilter(c, q);
    const db = database(c.env);
    const max = q.format === "csv" ? MAX_CSV_ORDERS : MAX_PDF_ORDERS;
    const matching = await countExportOrders(db, filter);
    if (matching > max) {
      throw validationError([
        {
          path: "from",
          message: `${matching} orders match; a ${q.format} export holds at most ${max}: narrow the dates`,
        },
      ]);
    }
    const now = isoSeconds(new Date());
    const stamp = now.slice(0, 16).replace(":", "");
    if (q.format === "csv") {
      return new Response(orderListCsv(db, filter, audience), {
        status: 200,
        headers: attachment(`orders-${stamp}.csv`, "text/csv; charset=utf-8", matching),
      });
    }
    const pdf = await orderListPdf(db, filter, audience, { filter: describeFilter(q), asOf: now });
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
        (who.role === "vendor" && who.vendorId === note.vendorId) ||
        (who.role === "customer" && who.customerId === note.customerId));
    if (!visible) throw new ApiError("NOT_FOUND", `No credit note ${creditNoteId}`);
    const pdf = await creditNotePdf(note, isoSeconds(new Date()));
    return new Response(pdf, { status: 200, headers: attachment(`credit-note-${note.id}.pdf`, "application/pdf") });
  });
