import Papa from "papaparse";
import { z } from "zod";
import { Barcode, SkuCode, SkuTitle } from "../contracts/catalog";
import { MAX_UNIT_PRICE_MINOR } from "../contracts/common";
import { MAX_IMPORT_ROWS, type RowError } from "../contracts/product-imports";
import { isGtin } from "./gtin";
import { minorDigits } from "./money";

/** One valid row of a product CSV, as it waits to be applied. */
export type ImportRow = {
  line: number;
  /** The line of the first row naming this product title: rows of one product share it. */
  productLine: number;
  productTitle: string;
  productDescription: string | null;
  code: string;
  /**
   * The SKU's title, low-stock threshold and weight as the file gives them; null where it gives none
   * (no column, or a blank cell): a new SKU then takes the product's title, 0 and 500 g, an existing
   * SKU keeps its own, so a price list does not wipe what it does not mention.
   */
  title: string | null;
  priceMinor: number;
  gtin: string;
  lowStockThreshold: number | null;
  /** Absent in rows staged before the column existed. */
  weightGrams?: number | null;
  stock: { warehouseId: string; onHand: number }[];
};

export type WarehouseRef = { id: string; name: string };

/**
 * What rows of one product share: the title with A-Z folded to a-z and nothing else, as SQLite's
 * NOCASE folds it, so the file's rows are grouped exactly as the vendor's existing products are
 * matched (`vendorProductsTitled`); a wider fold here ("É"/"é") would group rows the lookup then
 * splits between an existing product and a new one.
 */
export const productTitleKey = (title: string): string => title.replace(/[A-Z]+/g, (s) => s.toLowerCase());

export type ProductCsv =
  | { ok: true; totalRows: number; rows: ImportRow[]; errors: RowError[] }
  | { ok: false; message: string };

const REQUIRED = ["product_title", "sku_code", "price", "gtin"] as const;
const OPTIONAL = ["product_description", "sku_title", "low_stock_threshold", "weight_grams"] as const;
const STOCK_PREFIX = "stock:";

/** Empty cells are absent values: a spreadsheet cannot tell "" from nothing. */
const blankIsAbsent = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
const Count = (max: number) =>
  z.preprocess(
    blankIsAbsent,
    z.string().trim().regex(/^\d+$/, "a whole number").transform(Number).pipe(z.number().int().max(max)).optional(),
  );

/**
 * Prices are written as people write them, in major units of the marketplace's currency with at
 * most as many decimals as its minor unit has (499.00 for INR, 499 for JPY); read as integer minor
 * units from the digits, never through a float.
 */
function price(digits: number) {
  const decimals = ["no decimals", "at most one decimal", "at most two decimals", "at most three decimals"][digits];
  const format = `${decimals ?? `at most ${digits} decimals`}, e.g. 499${digits > 0 ? `.${"0".repeat(digits)}` : ""}`;
  const pattern = digits === 0 ? /^\d{1,9}$/ : new RegExp(`^\\d{1,9}(\\.\\d{1,${digits}})?$`);
  const scale = 10 ** digits;
  return z
    .string()
    .trim()
    .regex(pattern, `a price in major units with ${format}`)
    .transform((s) => {
      const [whole, frac = ""] = s.split(".");
      return Number(whole) * scale + Number(frac.padEnd(digits, "0") || "0");
    })
    .pipe(
      z
        .number()
        .int()
        .max(MAX_UNIT_PRICE_MINOR, `at most ${MAX_UNIT_PRICE_MINOR / scale}`),
    );
}

const rowOf = (digits: number) =>
  z.object({
    product_title: z.string().trim().min(1, "required").max(200),
    product_description: z.preprocess(blankIsAbsent, z.string().trim().max(4000).optional()),
    sku_code: SkuCode,
    sku_title: z.preprocess(blankIsAbsent, SkuTitle.optional()),
    price: price(digits),
    gtin: z.string().trim().pipe(Barcode).refine(isGtin, "not a GTIN: 8, 12, 13 or 14 digits with a valid check digit"),
    low_stock_threshold: Count(1_000_000),
    weight_grams: z.preprocess(
      blankIsAbsent,
      z
        .string()
        .trim()
        .regex(/^\d+$/, "a whole number of grams")
        .transform(Number)
        .pipe(z.number().int().min(1, "at least 1 gram").max(1_000_000))
        .optional(),
    ),
  });
type RowSchema = ReturnType<typeof rowOf>;

/**
 * The header's columns checked, each stock column resolved to one of the vendor's warehouses (by id,
 * else by name, case-insensitive). A problem here refuses the whole file.
 */
function readHeader(fields: string[], warehouses: readonly WarehouseRef[]) {
  const known = new Set<string>([...REQUIRED, ...OPTIONAL]);
  const stock: { column: string; warehouseId: string }[] = [];
  // A row keeps one cell per name: the second cell of a repeated column would silently win.
  const twice = fields.find((f, i) => fields.indexOf(f) !== i);
  if (twice !== undefined) return { ok: false as const, message: `column "${twice}" appears twice in the header` };
  for (const f of fields) {
    if (known.has(f)) continue;
    if (!f.startsWith(STOCK_PREFIX)) return { ok: false as const, message: `unknown column "${f}"` };
    const ref = f.slice(STOCK_PREFIX.length).trim();
    const named = warehouses.filter((w) => w.name.toLowerCase() === ref.toLowerCase());
    // Names need not be unique (a warehouse closed and its successor opened under its name): picking
    // one of several would put the counts where the vendor may not mean them.
    if (!warehouses.some((w) => w.id === ref) && named.length > 1) {
      const ids = named.map((w) => w.id).join(", ");
      return { ok: false as const, message: `column "${f}": warehouses ${ids} share that name; name one by its id` };
    }
    const wh = warehouses.find((w) => w.id === ref) ?? named[0];
    if (!wh) return { ok: false as const, message: `column "${f}": no warehouse of this vendor has that id or name` };
    if (stock.some((s) => s.warehouseId === wh.id))
      return { ok: false as const, message: `column "${f}": that warehouse has two stock columns` };
    stock.push({ column: f, warehouseId: wh.id });
  }
  const missing = REQUIRED.filter((r) => !fields.includes(r));
  if (missing.length > 0) return { ok: false as const, message: `missing column(s): ${missing.join(", ")}` };
  return { ok: true as const, stock };
}

type Record_ = { line: number; fields: string[]; error?: string };

/** Papa Parse's `skipEmptyLines: "greedy"`: a row of nothing but delimiters and whitespace. */
const isEmptyRow = (fields: readonly string[]) => fields.join("").trim() === "";

/**
 * The file's records with the line each starts on (1-based, the header is line 1), so a quoted field
 * holding line breaks keeps the numbers true. A line ends at CRLF, a lone CR (old Excel for Mac) or a
 * lone LF, as Papa Parse and editors read them. A leading BOM is dropped; empty rows are skipped.
 */
function records(text: string): Record_[] {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  // Papa guesses the delimiter leaving out the rows it would skip as empty; guessed once as it would,
  // then every row is taken (none skipped), so each record starts where the row before it ended.
  const guess = Papa.parse<string[]>(src, { skipEmptyLines: "greedy", preview: 1 });
  if (guess.errors.some((e) => e.code === "UndetectableDelimiter"))
    return [{ line: 1, fields: [], error: "no delimiter" }];
  const out: Record_[] = [];
  let from = 0;
  let line = 1;
  let start = 0;
  const advance = (to: number) => {
    for (; from < to; from++) {
      const c = src.charCodeAt(from);
      // CRLF counts once, at its LF.
      if (c === 10 || (c === 13 && src.charCodeAt(from + 1) !== 10)) line++;
    }
  };
  Papa.parse<string[]>(src, {
    delimiter: guess.meta.delimiter,
    step: (r) => {
      const begins = start;
      start = r.meta.cursor;
      if (isEmptyRow(r.data)) return;
      // A line break of another kind than the file's own is part of the row: the row starts on the
      // line its first visible character is on.
      let at = begins;
      while (at < start && " \t\r\n".includes(src[at]!)) at++;
      advance(at);
      out.push({ line, fields: r.data.map((f) => f.trim()), ...(r.errors[0] ? { error: r.errors[0].message } : {}) });
    },
  });
  return out;
}

/**
 * Parses (with Papa Parse) and validates a vendor's product CSV: every row is checked before anything
 * is applied, and each refused row is reported with its line, its field and why. A SKU code or GTIN
 * that an earlier row of the file already used is refused on the later row (each is unique within a
 * vendor).
 */
export function readProductCsv(text: string, warehouses: readonly WarehouseRef[], currency: string): ProductCsv {
  const schema = rowOf(minorDigits(currency));
  const [head, ...data] = records(text);
  if (!head || head.error) return { ok: false, message: "the file has no readable header row" };
  const fields = head.fields.map((f) => f.toLowerCase());
  const header = readHeader(fields, warehouses);
  if (!header.ok) return header;
  if (data.length > MAX_IMPORT_ROWS) return { ok: false, message: `at most ${MAX_IMPORT_ROWS} rows per file` };

  const rows: ImportRow[] = [];
  const errors: RowError[] = [];
  const codes = new Map<string, number>();
  const gtins = new Map<string, number>();
  const productLines = new Map<string, number>();
  for (const rec of data) {
    const { line } = rec;
    if (rec.error || rec.fields.length !== fields.length) {
      const why = rec.error ?? `${rec.fields.length} fields where the header has ${fields.length}`;
      errors.push({ line, field: "row", message: why });
      continue;
    }
    const row = readRow(schema, Object.fromEntries(fields.map((f, i) => [f, rec.fields[i]!])), line, header.stock);
    if (!row.ok) {
      errors.push(...row.errors);
      continue;
    }
    const r = row.row;
    const dupCode = codes.get(r.code.toLowerCase());
    const dupGtin = gtins.get(r.gtin);
    if (dupCode !== undefined) errors.push({ line, field: "sku_code", message: `already used on line ${dupCode}` });
    else if (dupGtin !== undefined) errors.push({ line, field: "gtin", message: `already used on line ${dupGtin}` });
    if (dupCode !== undefined || dupGtin !== undefined) continue;
    codes.set(r.code.toLowerCase(), line);
    gtins.set(r.gtin, line);
    const key = productTitleKey(r.productTitle);
    if (!productLines.has(key)) productLines.set(key, line);
    rows.push({ ...r, productLine: productLines.get(key)! });
  }
  return { ok: true, totalRows: data.length, rows, errors };
}

function readRow(
  schema: RowSchema,
  record: Record<string, string>,
  line: number,
  stockColumns: readonly { column: string; warehouseId: string }[],
): { ok: true; row: Omit<ImportRow, "productLine"> } | { ok: false; errors: RowError[] } {
  const errors: RowError[] = [];
  const r = schema.safeParse(record);
  if (!r.success) {
    for (const issue of r.error.issues)
      errors.push({ line, field: String(issue.path[0] ?? "row"), message: issue.message });
  }
  const stock: ImportRow["stock"] = [];
  for (const s of stockColumns) {
    const n = Count(1_000_000).safeParse(record[s.column]);
    if (!n.success) errors.push({ line, field: s.column, message: n.error.issues[0]?.message ?? "not a count" });
    else if (n.data !== undefined) stock.push({ warehouseId: s.warehouseId, onHand: n.data });
  }
  if (!r.success || errors.length > 0) return { ok: false, errors };
  const v = r.data;
  return {
    ok: true,
    row: {
      line,
      productTitle: v.product_title,
      productDescription: v.product_description ?? null,
      code: v.sku_code,
      title: v.sku_title ?? null,
      priceMinor: v.price,
      gtin: v.gtin,
      lowStockThreshold: v.low_stock_threshold ?? null,
      weightGrams: v.weight_grams ?? null,
      stock,
    },
  };
}
