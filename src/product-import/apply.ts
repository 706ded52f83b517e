import type { RowError } from "../contracts/product-imports";
import { type Db, database } from "../db/client";
import {
  addStockLevels,
  catalogMatches,
  type ExistingSku,
  findImport,
  finishPage,
  type ImportRecord,
  loadPage,
  markPageApplied,
  type NewProduct,
  type NewSku,
  type PageOutcome,
  pageOutcome,
  type SkuUpdate,
  vendorImportsSince,
  vendorProductsTitled,
  writeCatalogRows,
} from "../db/product-imports";
import { sha256Hex } from "../domain/crypto";
import { type ImportRow, productTitleKey } from "../domain/product-csv";
import { addSeconds, isoSeconds } from "../domain/time";
import { sendImportPage } from "../gateways/product-import-pages";
import { setStockLevels } from "../gateways/stock";
import { config } from "../platform/config";

/** Stock-object calls of a page in flight at once. */
const STOCK_CONCURRENCY = 16;

/**
 * How long an import may go without a page applied before the vendor's later imports stop waiting
 * for it: well past the 310 s a page's five retries take (5 x 2^n s), so only an import that stopped
 * (its page dead-lettered, or never sent) is passed over, and a vendor is never blocked for good.
 */
export const STALLED_AFTER_SECONDS = 15 * 60;
/** How soon the first page of an import waiting for an earlier one looks again. */
const WAIT_SECONDS = 5;
/** How far back earlier imports are looked at: none applies for a day without stalling. */
const LOOK_BACK_SECONDS = 24 * 60 * 60;

/**
 * Where an import stands among the vendor's others, in upload order (created at, then id: ids grow
 * with time). A later file's prices must win, so an import waits for every earlier one to be done:
 * applied, or given up on. One that applies pages is given up on once none has come for
 * STALLED_AFTER_SECONDS; one that has applied none yet is judged from when it could first start,
 * the moment every import before it was done, so an import that was only waiting its turn is
 * never taken for stalled. And an import that stalled while a later one went ahead (its page
 * applied once the later one had written to the catalog, even before that page is done) is
 * superseded by it.
 */
export async function importStanding(
  db: Db,
  imp: ImportRecord,
  now: Date,
): Promise<{ waitsFor: string | null; supersededBy: string | null }> {
  const since = isoSeconds(addSeconds(new Date(imp.createdAt), -LOOK_BACK_SECONDS));
  const others = (await vendorImportsSince(db, imp.vendorId, since)).filter((o) => o.id !== imp.id);
  const earlier = (o: { id: string; createdAt: string }) =>
    o.createdAt < imp.createdAt || (o.createdAt === imp.createdAt && o.id < imp.id);
  const before = others
    .filter(earlier)
    .sort((x, y) => (x.createdAt < y.createdAt || (x.createdAt === y.createdAt && x.id < y.id) ? -1 : 1));
  const stall = (from: string) => isoSeconds(addSeconds(new Date(from), STALLED_AFTER_SECONDS));
  // When each earlier import is done with, in upload order: every one waits for those before it.
  let freeAt = "";
  let waitsFor: string | null = null;
  const nowIso = isoSeconds(now);
  for (const o of before) {
    const startsAt = o.createdAt > freeAt ? o.createdAt : freeAt;
    const doneAt = o.applied >= o.pages ? (o.lastApplied ?? o.createdAt) : stall(o.lastApplied ?? startsAt);
    if (doneAt > nowIso) waitsFor = o.id;
    if (doneAt > freeAt) freeAt = doneAt;
  }
  const supersededBy = others.find((o) => !earlier(o) && o.started > 0);
  return { waitsFor, supersededBy: supersededBy?.id ?? null };
}

/** Ids derived from the import and the line: a page applied twice writes the same rows, not new ones. */
async function derivedId(prefix: string, importId: string, line: number): Promise<string> {
  return `${prefix}_${(await sha256Hex(`${importId}:${line}`)).slice(0, 24)}`;
}

type Plan = {
  products: Map<string, NewProduct>;
  skus: NewSku[];
  /** The file's line of each new SKU, and whether it is an offer on another seller's product. */
  created: { skuId: string; line: number; offer: boolean }[];
  updates: SkuUpdate[];
  offers: number;
  errors: RowError[];
  /** Rows whose stock may be set, with the SKU they are now. */
  stocked: { skuId: string; row: ImportRow }[];
};

/**
 * What each row becomes: an update of the vendor's SKU with that code; else a new SKU, on the
 * product another seller's SKU with that GTIN belongs to (an offer), on the vendor's product of
 * that title, or on a new product the file's rows of that title share. A GTIN another of the
 * vendor's SKUs already carries is refused on that row.
 */
async function planPage(
  imp: { id: string; vendorId: string },
  rows: ImportRow[],
  matches: {
    byCode: (ExistingSku & { vendorId: string })[];
    /** Per GTIN, the vendor's own SKU and another seller's oldest on sale, each if any (catalogMatches). */
    byBarcode: (ExistingSku & { vendorId: string })[];
    productByTitle: Map<string, string>;
  },
  at: string,
  currency: string,
): Promise<Plan> {
  const ownByCode = new Map(matches.byCode.map((s) => [s.code, s]));
  const ownByBarcode = new Map(matches.byBarcode.filter((s) => s.vendorId === imp.vendorId).map((s) => [s.barcode, s]));
  const otherByBarcode = new Map(
    matches.byBarcode.filter((s) => s.vendorId !== imp.vendorId).map((s) => [s.barcode, s]),
  );
  const plan: Plan = { products: new Map(), skus: [], created: [], updates: [], offers: 0, errors: [], stocked: [] };
  for (const row of rows) {
    const skuId = await derivedId("sku", imp.id, row.line);
    const existing = ownByCode.get(row.code);
    const holder = ownByBarcode.get(row.gtin);
    if (holder && holder.code !== row.code) {
      plan.errors.push({ line: row.line, field: "gtin", message: `your SKU ${holder.code} already has this GTIN` });
      continue;
    }
    if (existing && existing.id !== skuId) {
      const title = row.title ?? existing.title;
      const lowStockThreshold = row.lowStockThreshold ?? existing.lowStockThreshold;
      const weightGrams = row.weightGrams ?? existing.weightGrams;
      const changed =
        existing.title !== title ||
        existing.priceMinor !== row.priceMinor ||
        existing.barcode !== row.gtin ||
        existing.lowStockThreshold !== lowStockThreshold ||
        existing.weightGrams !== weightGrams;
      if (changed) {
        plan.updates.push({
          id: existing.id,
          title,
          priceMinor: row.priceMinor,
          barcode: row.gtin,
          lowStockThreshold,
          weightGrams,
        });
      }
      if (row.stock.length > 0) plan.stocked.push({ skuId: existing.id, row });
      continue;
    }
    const match = otherByBarcode.get(row.gtin);
    let productId = match?.productId ?? matches.productByTitle.get(productTitleKey(row.productTitle));
    if (match) plan.offers += 1;
    else if (!productId) {
      productId = await derivedId("prd", imp.id, row.productLine);
      if (!plan.products.has(productId)) {
        plan.products.set(productId, {
          id: productId,
          title: row.productTitle,
          description: row.productDescription,
          createdAt: at,
        });
      }
    }
    plan.skus.push({
      id: skuId,
      vendorId: imp.vendorId,
      productId: productId!,
      code: row.code,
      title: row.title ?? row.productTitle,
      priceMinor: row.priceMinor,
      currency,
      barcode: row.gtin,
      lowStockThreshold: row.lowStockThreshold ?? 0,
      weightGrams: row.weightGrams ?? 500,
      status: "active",
      createdAt: at,
      updatedAt: at,
    });
    plan.created.push({ skuId, line: row.line, offer: match !== undefined });
    if (row.stock.length > 0) plan.stocked.push({ skuId, row });
  }
  return plan;
}

/**
 * Sets each listed level only where it does not exist yet (expected version 0): the stock object
 * refuses the rest as stale, and those are left as they are. Answers how many levels were created,
 * and the first call that failed, if one did: no SKU is started after it, and every call started
 * is waited for, so the count is of what this attempt created (but for a call whose answer was lost).
 */
async function createLevels(
  env: Env,
  stocked: Plan["stocked"],
  actor: string,
  reason: string,
): Promise<{ created: number; failed: { error: unknown } | null }> {
  let created = 0;
  let next = 0;
  let failed: { error: unknown } | null = null;
  const worker = async () => {
    while (next < stocked.length && !failed) {
      const { skuId, row } = stocked[next++]!;
      try {
        let counts = row.stock.map((s) => ({ warehouseId: s.warehouseId, onHand: s.onHand, expectedVersion: 0 }));
        let result = await setStockLevels(env, { skuId, counts, reason, actor });
        if (!result.ok && result.code === "STALE_COUNT") {
          const existing = new Set(result.stale.map((s) => s.warehouseId));
          counts = counts.filter((c) => !existing.has(c.warehouseId));
          if (counts.length === 0) continue;
          result = await setStockLevels(env, { skuId, counts, reason, actor });
        }
        if (result.ok) created += counts.length;
      } catch (error) {
        failed ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(STOCK_CONCURRENCY, stocked.length) }, worker));
  return { created, failed };
}

/**
 * Applies one page of an import and hands on the next. Safe to repeat: ids are derived, inserts skip
 * what exists, stock is set only for levels that do not exist, and a page's counts are written with
 * its catalog batch, once: a page applied again after that (its stock calls failed) only sets the
 * stock levels still missing, adding them to the count. A page already applied only makes sure the
 * next one was handed on. An import starts once the vendor's earlier imports are done (or stalled):
 * its first page is sent again a few seconds later meanwhile; a page of an import a later one went
 * ahead of refuses its rows, unless its catalog is already written.
 */
export async function applyImportPage(
  env: Env,
  importId: string,
  page: number,
  now: Date,
): Promise<PageOutcome | null> {
  const db = database(env);
  const [imp, current] = await Promise.all([findImport(db, importId), loadPage(db, importId, page)]);
  if (!imp || !current) return null;
  const handOn = async () => {
    if (page + 1 >= imp.pages) return;
    const next = await loadPage(db, importId, page + 1);
    if (next && !next.applied) await sendImportPage(env, { importId, page: page + 1 });
  };
  if (current.applied) {
    await handOn();
    return null;
  }
  const at = isoSeconds(now);
  if (!current.written) {
    const standing = await importStanding(db, imp, now);
    if (standing.supersededBy) {
      const message = `not applied: your later import ${standing.supersededBy} was applied first; upload this file again to apply it`;
      const superseded: PageOutcome = {
        createdProducts: 0,
        createdSkus: 0,
        offers: 0,
        updatedSkus: 0,
        stockLevels: 0,
        errors: current.rows.map((r) => ({ line: r.line, field: "row", message })),
      };
      await markPageApplied(db, importId, page, superseded, at);
      await handOn();
      return superseded;
    }
    if (page === 0 && standing.waitsFor) {
      // Looked at again shortly rather than held: a consumer invocation must not sit waiting.
      await sendImportPage(env, { importId, page }, WAIT_SECONDS);
      console.log(JSON.stringify({ productImport: importId, page, waitsFor: standing.waitsFor }));
      return null;
    }
  }
  const stocked = current.written
    ? await stockedAgain(db, imp, current.rows)
    : await writeCatalog(db, env, imp, page, current.rows, at);
  const outcome = await pageOutcome(db, importId, page);
  // A row refused when the catalog was written (its GTIN, or its code or GTIN taken meanwhile) gets no stock.
  const refused = new Set(outcome.errors.map((e) => e.line));
  const levels = await createLevels(
    env,
    stocked.filter((s) => !refused.has(s.row.line)),
    `vendor:${imp.vendorId}`,
    `import ${importId}`,
  );
  if (levels.failed) {
    await addStockLevels(db, importId, page, levels.created);
    throw levels.failed.error;
  }
  await finishPage(db, importId, page, levels.created, at);
  await handOn();
  return { ...outcome, stockLevels: outcome.stockLevels + levels.created };
}

/** Plans the page against the catalog as it is and writes it with its counts; answers the rows to stock. */
async function writeCatalog(
  db: Db,
  env: Env,
  imp: ImportRecord,
  page: number,
  rows: ImportRow[],
  at: string,
): Promise<Plan["stocked"]> {
  const currency = config(env).currency;
  const [matches, productByTitle] = await Promise.all([
    catalogMatches(
      db,
      imp.vendorId,
      rows.map((r) => r.code),
      rows.map((r) => r.gtin),
    ),
    vendorProductsTitled(
      db,
      imp.vendorId,
      rows.map((r) => r.productTitle),
    ),
  ]);
  const plan = await planPage(imp, rows, { ...matches, productByTitle }, at, currency);
  await writeCatalogRows(db, {
    importId: imp.id,
    page,
    products: [...plan.products.values()],
    skus: plan.skus,
    updates: plan.updates,
    created: plan.created,
    errors: plan.errors,
    refusal: "another SKU of yours took this code or GTIN while the import ran",
    currency,
    at,
  });
  return plan.stocked;
}

/**
 * The rows to stock of a page whose catalog an earlier attempt wrote: each row with stock on the
 * vendor's SKU of its code, which that attempt updated or created (rows it refused are left out by
 * the caller). Not planned again: the catalog is no longer as that attempt found it.
 */
async function stockedAgain(db: Db, imp: ImportRecord, rows: ImportRow[]): Promise<Plan["stocked"]> {
  const withStock = rows.filter((r) => r.stock.length > 0);
  const { byCode } = await catalogMatches(
    db,
    imp.vendorId,
    withStock.map((r) => r.code),
    [],
  );
  const skuIdByCode = new Map(byCode.map((s) => [s.code, s.id]));
  return withStock.flatMap((row) => {
    const skuId = skuIdByCode.get(row.code);
    return skuId ? [{ skuId, row }] : [];
  });
}
