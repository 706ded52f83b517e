/**
 * Financial years for document numbering (credit notes). A year starts on the first day of
 * `startMonth` (1-12) in the marketplace's zone, given as a fixed offset from UTC in minutes; India's
 * runs April to March in IST (+05:30, no daylight saving), the defaults. A year is named by the
 * calendar year it starts in (2026 = April 2026 to March 2027) and shown as "2026-27".
 */
export type FinancialYearRule = { startMonth: number; utcOffsetMinutes: number };

export const INDIA_FINANCIAL_YEAR: FinancialYearRule = { startMonth: 4, utcOffsetMinutes: 330 };

export function financialYearOf(at: Date, rule: FinancialYearRule = INDIA_FINANCIAL_YEAR): number {
  const local = new Date(at.getTime() + rule.utcOffsetMinutes * 60_000);
  const year = local.getUTCFullYear();
  return local.getUTCMonth() + 1 >= rule.startMonth ? year : year - 1;
}

export function financialYearLabel(year: number, rule: FinancialYearRule = INDIA_FINANCIAL_YEAR): string {
  if (rule.startMonth === 1) return String(year);
  return `${year}-${String((year + 1) % 100).padStart(2, "0")}`;
}

/** A credit note's printed number: per vendor and year, gap-free, e.g. "CN/2026-27/000042". */
export function creditNoteNumber(year: number, n: number, rule: FinancialYearRule = INDIA_FINANCIAL_YEAR): string {
  return `CN/${financialYearLabel(year, rule)}/${String(n).padStart(6, "0")}`;
}
