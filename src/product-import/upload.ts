import { MAX_REPORTED_ERRORS, type ProductImport } from "../contracts/product-imports";
import { type Db, database } from "../db/client";
import {
  findImport,
  findImportByHash,
  type ImportRecord,
  importProgress,
  insertImport,
  latestImports,
  vendorWarehouses,
} from "../db/product-imports";
import { sha256Hex } from "../domain/crypto";
import { newId } from "../domain/ids";
import { readProductCsv } from "../domain/product-csv";
import { addSeconds, isoSeconds } from "../domain/time";
import { sendImportPage } from "../gateways/product-import-pages";
import { config } from "../platform/config";
import { importStanding } from "./apply";

/**
 * Rows applied per consumer invocation. A page costs at most one query per row (a SKU update) plus
 * ~80 for lookups and multi-row inserts, and at most two stock-object calls per row with stock: 400
 * rows stay under Workers' 1,000 D1 queries and 1,000 subrequests per invocation.
 */
export const IMPORT_PAGE_ROWS = 400;
/** A page is one D1 row, which D1 caps at 2,000,000 bytes: long descriptions end a page sooner. */
const IMPORT_PAGE_BYTES = 1_000_000;
/**
 * How long an import may show no progress before the same file sent again sends its next page again:
 * a page's message is taken within a second or two, and sending one twice is harmless but costs.
 */
export const RESEND_AFTER_SECONDS = 30;
/** Tries at sending an import's page from a request; a queue send can fail for a moment. */
const SEND_TRIES = 3;
/**
 * How long after an import the same file is that import sent again (a lost answer, a double click)
 * once it is done. Later the file is sent on purpose: the catalog may have changed since (a price
 * edited in the app, a barcode fixed so a refused row can go in), and it must be applied again.
 */
export const REPLAY_WITHIN_SECONDS = 10 * 60;

export type UploadResult =
  | { ok: true; import: ProductImport; replayed: boolean }
  | { ok: false; code: "VALIDATION_FAILED"; message: string };

/**
 * Validates the whole file, stores its valid rows in pages and hands the first page to the queue.
 * The same content as the vendor's latest import, while it applies or soon after, answers that
 * import and changes nothing.
 */
export async function uploadProducts(env: Env, vendorId: string, csv: string, now: Date): Promise<UploadResult> {
  const db = database(env);
  const sha = await sha256Hex(csv);
  // The same file as the vendor's latest import, still applying or uploaded within
  // REPLAY_WITHIN_SECONDS, is that import sent again (a lost answer, a double click). After another
  // import, or later, it is a new one: a vendor going back to an earlier price list must get those
  // prices back. The key names the import it follows, so UNIQUE(vendor, hash) still keeps one of two
  // identical uploads racing each other.
  const [latest] = await latestImports(db, vendorId, 1);
  if (latest && (latest.contentHash === sha || latest.contentHash.startsWith(`${sha}:`))) {
    const recent = latest.createdAt > isoSeconds(addSeconds(now, -REPLAY_WITHIN_SECONDS));
    if (recent || (await stillApplying(db, latest))) {
      await resendIfStalled(env, latest, now);
      return { ok: true, import: await importView(env, latest.id), replayed: true };
    }
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
  // The import is stored whether or not its first page reaches the queue: a failure is not the
  // vendor's to see as an error (a retry would only replay it), and the same file sent again once it
  // shows no progress sends the page again (`resendIfStalled`).
  if (pages.length > 0) await handOver(env, { importId: id, page: 0 });
  return { ok: true, import: await importView(env, id), replayed: false };
}

/**
 * Sends the first page not yet applied of an import that shows no progress for
 * `RESEND_AFTER_SECONDS` (its page never reached the queue, or was dead-lettered), unless it is
 * waiting for an earlier import. Applying a page again is harmless (see `applyImportPage`).
 */
async function resendIfStalled(env: Env, record: ImportRecord, now: Date): Promise<void> {
  const db = database(env);
  const pages = await importProgress(db, record.id);
  const next = Math.min(...pages.filter((p) => p.appliedAt === null).map((p) => p.page));
  if (!Number.isFinite(next)) return;
  const last = pages.reduce((t, p) => (p.appliedAt !== null && p.appliedAt > t ? p.appliedAt : t), record.createdAt);
  if (last > isoSeconds(addSeconds(now, -RESEND_AFTER_SECONDS))) return;
  if (next === 0 && (await importStanding(db, record, now)).waitsFor) return;
  await handOver(env, { importId: record.id, page: next });
}

/** Whether some page of the import is not applied yet. */
async function stillApplying(db: Db, record: ImportRecord): Promise<boolean> {
  return (await importProgress(db, record.id)).some((p) => p.appliedAt === null);
}

/** Sends an import's page, trying again on a failure; logs it if every try failed. */
async function handOver(env: Env, next: { importId: string; page: number }): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await sendImportPage(env, next);
      return;
    } catch (err) {
      if (attempt === SEND_TRIES) {
        console.error(JSON.stringify({ productImport: next.importId, page: next.page, unsent: String(err) }));
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 100 * 3 ** attempt));
    }
  }
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
