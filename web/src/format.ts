import type { Money } from "./types";

const formatters = new Map<string, Intl.NumberFormat>();

function formatterFor(currency: string): Intl.NumberFormat {
  let f = formatters.get(currency);
  if (!f) {
    f = new Intl.NumberFormat(undefined, { style: "currency", currency });
    formatters.set(currency, f);
  }
  return f;
}

/**
 * The only place an amount becomes a decimal: amounts travel as integer minor units, and the
 * currency's own number of fraction digits (2 for INR, 0 for JPY) says where the point goes.
 */
export function formatMoney(m: Money): string {
  const f = formatterFor(m.currency);
  const digits = f.resolvedOptions().maximumFractionDigits ?? 2;
  return f.format(m.amountMinor / 10 ** digits);
}

/**
 * A price as typed ("499", "499.5", "499.50") in integer minor units, read digit by digit (never
 * through a float); null when it is not a plain amount with at most the currency's fraction digits.
 */
export function parseMoney(text: string, currency: string): Money | null {
  const digits = formatterFor(currency).resolvedOptions().maximumFractionDigits ?? 2;
  const m = /^(\d{1,12})(?:\.(\d+))?$/.exec(text.trim());
  if (!m || (m[2] ?? "").length > digits) return null;
  const fraction = (m[2] ?? "").padEnd(digits, "0");
  return { amountMinor: Number(m[1]) * 10 ** digits + Number(fraction || "0"), currency };
}

/** Sums amounts of one currency in minor units; the UI never adds decimals. */
export function addMoney(values: readonly Money[], currency: string): Money {
  let amountMinor = 0;
  for (const v of values) amountMinor += v.amountMinor;
  return { amountMinor, currency };
}

const timeFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : timeFmt.format(d);
}

export function humanize(s: string): string {
  return s.replaceAll("_", " ").replaceAll(".", " · ");
}

/** The prefix and the random end: ids start with their time, the same first digits all year. */
export function shortId(id: string): string {
  return id.length > 14 ? `${id.slice(0, id.indexOf("_") + 1)}…${id.slice(-6)}` : id;
}
