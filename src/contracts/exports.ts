import { z } from "@hono/zod-openapi";
import { AnalyticsRangeQuery, TopVendorsQuery } from "./analytics";
import { Id } from "./common";
import { OrderListFields, timesInOrder } from "./orders";

export const exportFormats = ["csv", "pdf"] as const;

/** The order list's filters (no paging: an export holds every matching order) and the file's format. */
export const OrderExportQuery = timesInOrder(
  OrderListFields.omit({ limit: true, cursor: true }).extend({
    format: z.enum(exportFormats).default("csv").openapi({
      description: "csv: one row per sub-order, streamed; pdf: figures, orders a day and the rows",
    }),
  }),
).openapi("OrderExportQuery");

export const CreditNoteParams = z.object({ creditNoteId: Id });

const format = z.enum(exportFormats).default("csv").openapi({
  description:
    "csv: the report's table, each row stamped with as_of; pdf: headline figures, a daily chart and the table",
});

/** An analytics report's range and the file's format. */
export const AnalyticsExportQuery = AnalyticsRangeQuery.extend({ format });
export const TopVendorsExportQuery = TopVendorsQuery.extend({ format });
