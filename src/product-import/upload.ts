import { MAX_REPORTED_ERRORS, type ProductImport } from "../contracts/product-imports";
import { database } from "../db/client";
import {
  findImport,
  findImportByHash,
  importProgress,
  insertImport,
  latestImports,
  vendorWarehouses,
} from "../db/product-imports";
import { sha256Hex } from "../domain/crypto";
import { newId } from "../domain/ids";
import { readProductCsv } from "../domain/product-csv";
import { isoSeconds } from "../domain/time";
import { sendImportPage } from "../gateways/product-import-pages";
import { config } from "../platform/config";

/**
 * Rows applied per consumer invocation. A page costs at most one query per row (a SKU update) plus
 * ~80 for lookups and multi-row inserts, and at most two stock-object calls per row with stock: 400
 * rows stay under Workers' 1,000 D1 queries and 1,000 subrequests per invocation.
 */
export const IMPORT_PAGE_ROWS = 400;
/** A page is one D1 row, which D1 caps at 2,000,000 bytes: long descriptions end a page sooner. */
const IMPORT_PAGE_BYTES = 1_000_000;

export type UploadResult =
  | { ok: true; import: ProductImport; replayed: boolean }
  | { ok: false; code: "VALIDATION_FAILED"; message: string };

/**
 * Validates the whole file, stores its valid rows in pages and hands the first page to the queue.
 * The same content as the vendor's latest import answers that import and changes nothing.
 */
export async function uploadProducts(env: Env, vendorId: string, csv: string, now: Date): Promise<UploadResult> {
  const db = database(env);
  const sha = await sha256Hex(csv);
  // The same file as the vendor's latest import is that import sent again (a lost answer, a double
  // click). After another import it is a new one: a vendor going back to an earlier price list must
  // get those prices back. The key names the import it follows, so UNIQUE(vendor, hash) still keeps
  // one of two identical uploads racing each other.
  const [latest] = await latestImports(db, vendorId, 1);
  if (latest && (latest.contentHash === sha || latest.contentHash.startsWith(`${sha}:`))) {
    return { ok: true, import: await importView(env, latest.id), replayed: true };
  }
  const contentHash = latest ? `${sha}:${latest.id}` : sha;

  const parsed = readProductCsv(csv, await vendorWarehouses(db, vendorId), config(env).currency);
  if (!parsed.ok) return { ok: false, code: "VALIDATION_FAILED", message: parsed.message };
  const pages = pagesOf(parsed.rows);
  const id = newId("imp");
  const stored = await insertImport(
    db,
    {
      id,
      vendorId,
      contentHash,
      totalRows: parsed.totalRows,
      validRows: parsed.rows.length,
      pages: pages.length,
      errors: parsed.errors.slice(0, MAX_REPORTED_ERRORS),
      invalidRows: parsed.totalRows - parsed.rows.length,
      createdAt: isoSeconds(now),
    },
    pages,
  );
  if (!stored) {
    const winner = await findImportByHash(db, vendorId, contentHash);
    if (winner) return { ok: true, import: await importView(env, winner.id), replayed: true };
  }
  if (pages.length > 0) await sendImportPage(env, { importId: id, page: 0 });
  return { ok: true, import: await importView(env, id), replayed: false };
}

/** The import as the vendor's page shows it: counts so far, and each refused row by line. */
export async function importView(env: Env, importId: string): Promise<ProductImport> {
  const db = database(env);
  const [record, pages] = await Promise.all([findImport(db, importId), importProgress(db, importId)]);
  if (!record) throw new Error(`import ${importId} vanished`);
  const applied = pages.filter((p) => p.appliedAt !== null);
  const sum = (k: "createdProducts" | "createdSkus" | "offers" | "updatedSkus" | "stockLevels") =>
    applied.reduce((n, p) => n + p[k], 0);
  const applyErrors = applied.flatMap((p) => p.errors);
  const errors = [...(record.errors as ProductImport["errors"]), ...applyErrors]
    .sort((a, b) => a.line - b.line)
    .slice(0, MAX_REPORTED_ERRORS);
  return {
    id: record.id,
    vendorId: record.vendorId,
    status: applied.length === record.pages ? "done" : "applying",
    totalRows: record.totalRows,
    validRows: record.validRows,
    invalidRows: record.invalidRows + applyErrors.length,
    appliedRows: applied.reduce((n, p) => n + p.rowCount, 0),
    createdProducts: sum("createdProducts"),
    createdSkus: sum("createdSkus"),
    offers: sum("offers"),
    updatedSkus: sum("updatedSkus"),
    stockLevels: sum("stockLevels"),
    errors,
    createdAt: record.createdAt,
  };
}

/** The rows in pages of at most `IMPORT_PAGE_ROWS` rows and `IMPORT_PAGE_BYTES` bytes of stored JSON. */
function pagesOf<T>(rows: readonly T[]): T[][] {
  const utf8 = new TextEncoder();
  const pages: T[][] = [];
  let page: T[] = [];
  let bytes = 2;
  for (const row of rows) {
    const size = utf8.encode(JSON.stringify(row)).length + 1;
    if (page.length === IMPORT_PAGE_ROWS || (page.length > 0 && bytes + size > IMPORT_PAGE_BYTES)) {
      pages.push(page);
      page = [];
      bytes = 2;
    }
    page.push(row);
    bytes += size;
  }
  if (page.length > 0) pages.push(page);
  return pages;
}
