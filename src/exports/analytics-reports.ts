import type {
  Latency,
  PlatformAnalytics,
  TopVendors,
  VendorAnalytics,
  VendorInventory,
  VendorProductSales,
} from "../contracts/analytics";
import { decimalAmount, displayAmount } from "../domain/money";
import { csv } from "./csv";
import { displayTime } from "./format";
import { type PdfReport, renderPdf } from "./pdf";

/**
 * An analytics report as a file: its headline figures, one daily series for the chart and one table.
 * The CSV is the table (each row stamped with `as_of`, so a copy still says when it was true); the
 * PDF is all three. Cells keep their kind, so the CSV gets exact decimals and the PDF ₹ and %.
 */
type Kind = "text" | "count" | "money" | "bps" | "x100" | "days";
type Cell = string | number | null;
/** `pdf: false` keeps a column to the CSV, where a row has no width to run out of. */
type Column = { key: string; title: string; kind: Kind; width: number; pdf?: false };

export type ReportFile = {
  name: string;
  /** The report's name. A vendor's name goes in `vendor`, on a line of its own: it may be 120 characters. */
  title: string;
  vendor?: string;
  asOf: string | null;
  currency: string;
  range: string;
  figures: { label: string; value: string }[];
  chart: { title: string; kind: Kind; bars: { label: string; value: number }[] };
  columns: Column[];
  rows: Record<string, Cell>[];
};

function csvCell(kind: Kind, v: Cell, currency: string): string {
  if (v === null) return "";
  if (kind === "money") return decimalAmount(Number(v), currency);
  // Basis points as a percentage and ×100 figures as plain decimals, both exact to two places.
  if (kind === "bps" || kind === "x100") return decimalAmount(Number(v), "USD");
  return String(v);
}

function displayCell(kind: Kind, v: Cell, currency: string): string {
  if (v === null) return "—";
  if (kind === "money") return displayAmount(Number(v), currency);
  if (kind === "bps") return `${decimalAmount(Number(v), "USD")}%`;
  if (kind === "x100") return decimalAmount(Number(v), "USD");
  return String(v);
}

/**
 * A column's CSV name: the report's field name, renamed for what the cell holds (a decimal amount,
 * a percentage, a plain ratio) where that name speaks of minor units, basis points or ×100, so a
 * cell of 1234.50 is never read as 1234.50 minor units.
 */
function csvName(c: Column): string {
  if (c.kind === "money") return c.key.replace(/Minor$/, "");
  if (c.kind === "bps") return c.key.replace(/Bps$/, "Pct");
  if (c.kind === "x100") return c.key.replace(/X100$/, "");
  return c.key;
}

export function reportCsv(f: ReportFile): string {
  const header = [...f.columns.map(csvName), "as_of"];
  const rows = f.rows.map((r) => [
    ...f.columns.map((c) => csvCell(c.kind, r[c.key] ?? null, f.currency)),
    f.asOf ?? "",
  ]);
  return csv([header, ...rows]);
}

/**
 * Rows a report's PDF prints, as the order list's PDF: pdf-lib builds the whole document in memory,
 * and a vendor's 10,000 SKUs would be some 200 pages. The CSV has every row.
 */
export const MAX_PDF_ROWS = 1_000;

export function reportPdf(f: ReportFile): Promise<Uint8Array> {
  const printed = f.columns.filter((c) => c.pdf !== false);
  const shown = f.rows.slice(0, MAX_PDF_ROWS);
  const left = f.rows.length - shown.length;
  const report: PdfReport = {
    title: f.title,
    lines: [
      ...(f.vendor === undefined ? [] : [`Vendor: ${f.vendor}`]),
      f.range,
      f.asOf ? `As of ${displayTime(f.asOf)} (when the roll-ups last caught up).` : "The roll-ups have not run yet.",
    ],
    figures: f.figures,
    chart: {
      title: f.chart.title,
      bars: f.chart.bars,
      format: (v) => displayCell(f.chart.kind, Math.round(v), f.currency),
    },
    table: {
      columns: printed.map((c) => ({ title: c.title, width: c.width, right: c.kind !== "text" })),
      rows: shown.map((r) => printed.map((c) => displayCell(c.kind, r[c.key] ?? null, f.currency))),
    },
    ...(f.rows.length === 0 ? { footnote: "Nothing in this range." } : {}),
    ...(left > 0
      ? {
          footnote: `The first ${shown.length} of ${f.rows.length} rows, in the table's order; ${left} more are left out here. The CSV export has every row.`,
        }
      : {}),
  };
  return renderPdf(report);
}

const minutes = (m: number | null) => (m === null ? "—" : m < 120 ? `${m} min` : `${(m / 60).toFixed(1)} h`);
const p50p90 = (l: Latency) => `${minutes(l.p50Minutes)} / ${minutes(l.p90Minutes)}`;
const dayLabel = (day: string) => day.slice(5);

function head(r: { asOf: string | null; currency: string; timeZone: string; from: string; to: string }) {
  return {
    asOf: r.asOf,
    currency: r.currency,
    range: `${r.from} to ${r.to}, days in ${r.timeZone}, each order on the day it was placed.`,
  };
}

export function platformReport(r: PlatformAnalytics): ReportFile {
  const t = r.totals;
  const m = (v: number) => displayAmount(v, r.currency);
  return {
    ...head(r),
    name: `platform-${r.from}-${r.to}`,
    title: "Platform",
    figures: [
      { label: "GMV", value: m(t.gmvMinor) },
      { label: "Orders paid", value: String(t.ordersPaid) },
      { label: "Sellers per cart", value: displayCell("x100", t.avgSellersPerCartX100, r.currency) },
      { label: "Fulfilment error rate", value: displayCell("bps", t.fulfilmentErrorRateBps, r.currency) },
      { label: "SLA breaches / nudges", value: `${t.slaBreaches} / ${t.slaNudges}` },
      { label: "Refunded", value: m(t.refundedMinor) },
      { label: "To dispatch, p50 / p90", value: p50p90(r.timeToDispatch) },
      { label: "To delivery, p50 / p90", value: p50p90(r.timeToDelivery) },
    ],
    chart: {
      title: "GMV a day",
      kind: "money",
      bars: r.days.map((d) => ({ label: dayLabel(d.day), value: d.gmvMinor })),
    },
    columns: [
      { key: "day", title: "Day", kind: "text", width: 11 },
      { key: "gmvMinor", title: "GMV", kind: "money", width: 14 },
      { key: "ordersPlaced", title: "Placed", kind: "count", width: 8 },
      { key: "ordersPaid", title: "Paid", kind: "count", width: 8 },
      { key: "subOrders", title: "Sub-orders", kind: "count", width: 9 },
      { key: "cancelledSubOrders", title: "Cancelled", kind: "count", width: 9 },
      { key: "slaBreaches", title: "Breaches", kind: "count", width: 8 },
      { key: "returnedSubOrders", title: "Returned", kind: "count", width: 8 },
      { key: "deliveredSubOrders", title: "Delivered", kind: "count", width: 9 },
      { key: "refundedMinor", title: "Refunded", kind: "money", width: 12 },
    ],
    rows: r.days,
  };
}

export function topVendorsReport(r: TopVendors): ReportFile {
  return {
    ...head(r),
    name: `top-vendors-${r.from}-${r.to}`,
    title: "Top vendors",
    figures: [
      { label: "Sales", value: displayAmount(r.totals.gmvMinor, r.currency) },
      { label: "Active vendors", value: String(r.totals.activeVendors) },
      { label: "Top vendor", value: r.items[0]?.vendorName ?? "—" },
    ],
    chart: {
      title: "Sales a day",
      kind: "money",
      bars: r.days.map((d) => ({ label: dayLabel(d.day), value: d.gmvMinor })),
    },
    columns: [
      { key: "vendorName", title: "Vendor", kind: "text", width: 22 },
      { key: "vendorId", title: "Id", kind: "text", width: 22 },
      { key: "gmvMinor", title: "Sales", kind: "money", width: 14 },
      { key: "subOrders", title: "Sub-orders", kind: "count", width: 9 },
      { key: "units", title: "Units", kind: "count", width: 7 },
      { key: "cancelledSubOrders", title: "Cancelled", kind: "count", width: 9 },
      { key: "returnedUnits", title: "Returned units", kind: "count", width: 10 },
    ],
    rows: r.items,
  };
}

export function vendorReport(r: VendorAnalytics, vendorName: string): ReportFile {
  const t = r.totals;
  const p = r.payouts.totals;
  // The payout days are the report's days, one for one: each row carries its day's payouts.
  const payoutsOn = new Map(r.payouts.days.map((d) => [d.day, d]));
  return {
    ...head(r),
    name: `vendor-${r.vendorId}-${r.from}-${r.to}`,
    title: "Sales and payouts",
    vendor: vendorName,
    figures: [
      { label: "Sales", value: displayAmount(t.salesMinor, r.currency) },
      { label: "Sub-orders / units", value: `${t.subOrders} / ${t.units}` },
      { label: "Return rate", value: displayCell("bps", t.returnRateBps, r.currency) },
      { label: "Cancellation rate", value: displayCell("bps", t.cancellationRateBps, r.currency) },
      { label: "SLA breach rate", value: displayCell("bps", t.slaBreachRateBps, r.currency) },
      { label: "Refunded", value: displayAmount(t.refundedMinor, r.currency) },
      { label: "To dispatch, p50 / p90", value: p50p90(r.timeToDispatch) },
      { label: "To delivery, p50 / p90", value: p50p90(r.timeToDelivery) },
      { label: "Paid out", value: displayAmount(p.paidMinor, r.currency) },
      { label: "Payouts reversed", value: displayAmount(p.reversedMinor, r.currency) },
      { label: "Payouts pending", value: displayAmount(p.pendingMinor, r.currency) },
      { label: `Held back (${p.heldBackSubOrders} sub-orders)`, value: displayAmount(p.heldBackMinor, r.currency) },
      { label: "Last payout", value: p.lastPaidOn ?? "—" },
    ],
    chart: {
      title: "Sales a day",
      kind: "money",
      bars: r.days.map((d) => ({ label: dayLabel(d.day), value: d.salesMinor })),
    },
    columns: [
      { key: "day", title: "Day", kind: "text", width: 11 },
      { key: "salesMinor", title: "Sales", kind: "money", width: 13 },
      { key: "subOrders", title: "Sub-orders", kind: "count", width: 10 },
      { key: "units", title: "Units", kind: "count", width: 7 },
      { key: "returnedUnits", title: "Returned", kind: "count", width: 8 },
      { key: "cancelledSubOrders", title: "Cancelled", kind: "count", width: 9 },
      { key: "slaBreaches", title: "Breaches", kind: "count", width: 8 },
      { key: "deliveredSubOrders", title: "Delivered", kind: "count", width: 9 },
      { key: "refundedMinor", title: "Refunded", kind: "money", width: 12 },
      { key: "paidOutMinor", title: "Paid out", kind: "money", width: 12 },
      // Reversals are rare and their total is a headline figure: the PDF's table keeps its width for the rest.
      { key: "payoutReversedMinor", title: "Reversed", kind: "money", width: 11, pdf: false },
    ],
    rows: r.days.map((d) => ({
      ...d,
      paidOutMinor: payoutsOn.get(d.day)?.paidMinor ?? 0,
      payoutReversedMinor: payoutsOn.get(d.day)?.reversedMinor ?? 0,
    })),
  };
}

export function productsReport(r: VendorProductSales, vendorName: string): ReportFile {
  return {
    ...head(r),
    name: `products-${r.vendorId}-${r.from}-${r.to}`,
    title: "Sales by product",
    vendor: vendorName,
    figures: [
      { label: "Sales", value: displayAmount(r.totals.salesMinor, r.currency) },
      { label: "Units sold", value: String(r.totals.units) },
      { label: "Return rate", value: displayCell("bps", r.totals.returnRateBps, r.currency) },
    ],
    chart: {
      title: "Units a day",
      kind: "count",
      bars: r.days.map((d) => ({ label: dayLabel(d.day), value: d.units })),
    },
    columns: [
      { key: "title", title: "Product", kind: "text", width: 30 },
      { key: "productId", title: "Id", kind: "text", width: 20 },
      { key: "units", title: "Units", kind: "count", width: 8 },
      { key: "salesMinor", title: "Sales", kind: "money", width: 14 },
      { key: "returnedUnits", title: "Returned", kind: "count", width: 9 },
      { key: "returnRateBps", title: "Return rate", kind: "bps", width: 10 },
    ],
    rows: r.items,
  };
}

export function inventoryReport(r: VendorInventory, vendorName: string): ReportFile {
  const t = r.totals;
  return {
    ...head(r),
    name: `inventory-${r.vendorId}-${r.from}-${r.to}`,
    title: "Inventory",
    vendor: vendorName,
    figures: [
      { label: "Units sold", value: String(t.unitsSold) },
      { label: "On hand / available", value: `${t.onHand} / ${t.available}` },
      { label: "Turnover", value: displayCell("x100", t.turnoverX100, r.currency) },
      { label: "Days of cover", value: t.daysOfCover === null ? "—" : String(t.daysOfCover) },
    ],
    chart: {
      title: "Units on hand a day",
      kind: "count",
      bars: r.days.map((d) => ({ label: dayLabel(d.day), value: d.onHand })),
    },
    columns: [
      { key: "code", title: "SKU", kind: "text", width: 14 },
      { key: "title", title: "Title", kind: "text", width: 24 },
      { key: "unitsSold", title: "Sold", kind: "count", width: 7 },
      { key: "onHand", title: "On hand", kind: "count", width: 8 },
      { key: "available", title: "Available", kind: "count", width: 8 },
      { key: "averageOnHand", title: "Avg on hand", kind: "count", width: 9 },
      { key: "turnoverX100", title: "Turnover", kind: "x100", width: 8 },
      { key: "daysOfCover", title: "Days of cover", kind: "days", width: 9 },
    ],
    rows: r.items,
  };
}
