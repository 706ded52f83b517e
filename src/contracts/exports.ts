import { z } from "@hono/zod-openapi";
import { Id } from "./common";
import { OrderListQuery } from "./orders";

export const exportFormats = ["csv", "pdf"] as const;

/** The order list's filters (no paging: an export holds every matching order) and the file's format. */
export const OrderExportQuery = OrderListQuery.omit({ limit: true, cursor: true })
  .extend({
    format: z.enum(exportFormats).default("csv").openapi({
      description: "csv: one row per sub-order, streamed; pdf: figures, orders a day and the rows",
    }),
  })
  .openapi("OrderExportQuery");

export const CreditNoteParams = z.object({ creditNoteId: Id });
