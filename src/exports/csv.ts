import { type Input, type Options, stringify } from "csv-stringify/sync";

// OWASP's advice on CSV injection: a spreadsheet runs a cell that starts with one of these as a
// formula (a vendor named `=HYPERLINK(...)`), so such text gets a leading `'`, which the
// spreadsheet shows as text. A plain number is never a formula: amounts, written as exact
// decimals ("-12.50") to stay exact, are left as numbers. The full-width signs count too: Apple
// Numbers reads `＝` as `=` (csv-stringify's own `escape_formulas` guards them for that reason).
const FORMULA_START = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;
const PLAIN_NUMBER = /^[+-]?\d+(\.\d+)?$/;

/** Text as a CSV cell a spreadsheet shows and never runs. */
export function inertCell(text: string): string {
  return FORMULA_START.test(text) && !PLAIN_NUMBER.test(text) ? `'${text}` : text;
}

/**
 * `csv-stringify` with every text cell made inert: the one way this system writes CSV. It starts
 * with a UTF-8 byte-order mark (unless `bom: false`, for a stream's later pages): without it Excel
 * reads the file in the legacy code page and garbles Devanagari names and the ₹ sign.
 */
export function csv(records: Input, options: Options = {}): string {
  return stringify(records, { bom: true, ...options, cast: { ...options.cast, string: inertCell } });
}
