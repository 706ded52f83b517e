import { and, count, desc, eq, gte, inArray, isNull, max, or, sql } from "drizzle-orm";
import type { RowError } from "../contracts/product-imports";
import type { ImportRow } from "../domain/product-csv";
import { chunks, rowsPerInsert, selectIn } from "./chunks";
import type { Db, Statement } from "./client";
import { productImportPages, productImports, products, skus, vendors, warehouses } from "./schema";
import { vendorSells } from "./vendor-live";

export type ImportRecord = typeof productImports.$inferSelect;
export type PageOutcome = {
  createdProducts: number;
  createdSkus: number;
  offers: number;
  updatedSkus: number;
  stockLevels: number;
  errors: RowError[];
};

export async function vendorWarehouses(db: Db, vendorId: string) {
  return db
    .select({ id: warehouses.id, name: warehouses.name })
    .from(warehouses)
    .where(eq(warehouses.vendorId, vendorId))
    .all();
}

export async function findImportByHash(db: Db, vendorId: string, contentHash: string): Promise<ImportRecord | null> {
  const row = await db
    .select()
    .from(productImports)
    .where(and(eq(productImports.vendorId, vendorId), eq(productImports.contentHash, contentHash)))
    .get();
  return row ?? null;
}

/**
 * The import and its pages of valid rows in one batch; false when the same content of this vendor
 * was stored meanwhile by another upload (UNIQUE(vendor, hash) keeps only the first).
 */
export async function insertImport(db: Db, record: ImportRecord, pages: ImportRow[][]): Promise<boolean> {
  const [inserted] = await db.batch([
    db.insert(productImports).values(record).onConflictDoNothing().returning({ id: productImports.id }),
    ...pages.map((rows, page) =>
      // Guarded by the import's own insert: a losing race stores no pages under its id.
      db
        .insert(productImportPages)
        .select(
          sql`select ${record.id}, ${page}, ${JSON.stringify(rows)}, ${rows.length}, null, 0, 0, 0, 0, 0, null
              where exists (select 1 from ${productImports} where ${productImports.id} = ${record.id})`,
        )
        .onConflictDoNothing(),
    ),
  ]);
  return inserted.length === 1;
}

export async function findImport(db: Db, id: string): Promise<ImportRecord | null> {
  return (await db.select().from(productImports).where(eq(productImports.id, id)).get()) ?? null;
}

export async function latestImports(db: Db, vendorId: string, limit: number): Promise<ImportRecord[]> {
  return db
    .select()
    .from(productImports)
    .where(eq(productImports.vendorId, vendorId))
    .orderBy(desc(productImports.createdAt), desc(productImports.id))
    .limit(limit)
    .all();
}

/**
 * The vendor's imports uploaded from `since` on, each with how many of its pages are applied and when
 * the last one was: the order a vendor's imports apply in is decided from these (`product-import`).
 */
export async function vendorImportsSince(db: Db, vendorId: string, since: string) {
  return db
    .select({
      id: productImports.id,
      createdAt: productImports.createdAt,
      pages: productImports.pages,
      applied: count(productImportPages.appliedAt),
      lastApplied: max(productImportPages.appliedAt),
    })
    .from(productImports)
    .leftJoin(productImportPages, eq(productImportPages.importId, productImports.id))
    .where(and(eq(productImports.vendorId, vendorId), gte(productImports.createdAt, since)))
    .groupBy(productImports.id)
    .all();
}

/** What the applied pages of an import did so far. */
export async function importProgress(db: Db, importId: string) {
  const rows = await db
    .select({
      page: productImportPages.page,
      rowCount: productImportPages.rowCount,
      appliedAt: productImportPages.appliedAt,
      createdProducts: productImportPages.createdProducts,
      createdSkus: productImportPages.createdSkus,
      offers: productImportPages.offers,
      updatedSkus: productImportPages.updatedSkus,
      stockLevels: productImportPages.stockLevels,
      errors: productImportPages.errors,
    })
    .from(productImportPages)
    .where(eq(productImportPages.importId, importId))
    .all();
  return rows.map((r) => ({ ...r, errors: (r.errors ?? []) as RowError[] }));
}

export async function loadPage(db: Db, importId: string, page: number) {
  const row = await db
    .select({ rows: productImportPages.rows, appliedAt: productImportPages.appliedAt })
    .from(productImportPages)
    .where(and(eq(productImportPages.importId, importId), eq(productImportPages.page, page)))
    .get();
  return row ? { rows: row.rows as ImportRow[], applied: row.appliedAt !== null } : null;
}

export type ExistingSku = {
  id: string;
  code: string;
  barcode: string;
  productId: string;
  title: string;
  priceMinor: number;
  lowStockThreshold: number;
  weightGrams: number;
};

/**
 * The vendor's SKUs with these codes, and per barcode at most two SKUs: the vendor's own (one at most,
 * UNIQUE(vendor, barcode)) and the oldest on sale (active, of a vendor that sells) of another seller,
 * oldest by created at, then id. Picked in SQL, not after: a GTIN carried by hundreds of sellers would
 * otherwise bring every one of their rows into the consumer, for each page of each re-import. A
 * draft's or a paused vendor's SKU is no seller's, so a GTIN it typed (any characters may be one)
 * never pulls an offer onto its product.
 */
export async function catalogMatches(db: Db, vendorId: string, codes: string[], gtins: string[]) {
  const columns = {
    id: skus.id,
    vendorId: skus.vendorId,
    code: skus.code,
    barcode: skus.barcode,
    productId: skus.productId,
    title: skus.title,
    priceMinor: skus.priceMinor,
    lowStockThreshold: skus.lowStockThreshold,
    weightGrams: skus.weightGrams,
  };
  const [byCode, byBarcode] = await Promise.all([
    selectIn(db, codes, (c) =>
      db
        .select(columns)
        .from(skus)
        .where(and(eq(skus.vendorId, vendorId), inArray(skus.code, c))),
    ),
    selectIn(db, gtins, (c) => {
      // Numbered within (barcode, whether the vendor's own): the first of each is all that is kept.
      const ranked = db.$with("ranked").as(
        db
          .select({
            ...columns,
            n: sql<number>`row_number() over (partition by ${skus.barcode}, ${skus.vendorId} = ${vendorId} order by ${skus.createdAt}, ${skus.id})`.as(
              "n",
            ),
          })
          .from(skus)
          .innerJoin(vendors, eq(vendors.id, skus.vendorId))
          .where(
            and(inArray(skus.barcode, c), or(eq(skus.vendorId, vendorId), and(eq(skus.status, "active"), vendorSells))),
          ),
      );
      return db
        .with(ranked)
        .select({
          id: ranked.id,
          vendorId: ranked.vendorId,
          code: ranked.code,
          barcode: ranked.barcode,
          productId: ranked.productId,
          title: ranked.title,
          priceMinor: ranked.priceMinor,
          lowStockThreshold: ranked.lowStockThreshold,
          weightGrams: ranked.weightGrams,
        })
        .from(ranked)
        .where(eq(ranked.n, 1));
    }),
  ]);
  return { byCode, byBarcode };
}

/**
 * The vendor's products (those it sells a SKU of) with these titles, exactly as written: a row
 * adding a variant joins the product its other variants are on. Where several share a title
 * (created before), the oldest.
 */
export async function vendorProductsTitled(db: Db, vendorId: string, titles: string[]): Promise<Map<string, string>> {
  const rows = await selectIn(db, titles, (c) =>
    db
      .selectDistinct({ id: products.id, title: products.title, createdAt: products.createdAt })
      .from(skus)
      .innerJoin(products, eq(products.id, skus.productId))
      .where(and(eq(skus.vendorId, vendorId), inArray(products.title, c))),
  );
  const oldestFirst = rows.sort((a, b) =>
    a.createdAt !== b.createdAt ? (a.createdAt < b.createdAt ? -1 : 1) : a.id < b.id ? -1 : 1,
  );
  const byTitle = new Map<string, string>();
  for (const p of oldestFirst) if (!byTitle.has(p.title)) byTitle.set(p.title, p.id);
  return byTitle;
}

/** Which of these SKU ids exist. */
export async function existingSkuIds(db: Db, ids: readonly string[]): Promise<Set<string>> {
  const rows = await selectIn(db, ids, (c) => db.select({ id: skus.id }).from(skus).where(inArray(skus.id, c)));
  return new Set(rows.map((r) => r.id));
}

export type NewProduct = { id: string; title: string; description: string | null; createdAt: string };
export type NewSku = typeof skus.$inferInsert;
export type SkuUpdate = {
  id: string;
  title: string;
  priceMinor: number;
  barcode: string;
  lowStockThreshold: number;
  weightGrams: number;
};

/**
 * A page's catalog writes in one batch. Ids are derived from the import and the line, and inserts
 * skip what exists, so a page applied again (a redelivered message) writes nothing twice. Answers how
 * many products this batch itself created.
 */
export async function writeCatalogRows(
  db: Db,
  w: { products: NewProduct[]; skus: NewSku[]; updates: SkuUpdate[]; currency: string; at: string },
): Promise<{ products: number }> {
  const productInserts = chunks(w.products, rowsPerInsert(products)).map((c) =>
    db.insert(products).values(c).onConflictDoNothing().returning({ id: products.id }),
  );
  const statements: Statement[] = [
    ...productInserts,
    ...chunks(w.skus, rowsPerInsert(skus)).map((c) => db.insert(skus).values(c).onConflictDoNothing()),
    ...w.updates.map((u) =>
      db
        .update(skus)
        .set({
          title: u.title,
          priceMinor: u.priceMinor,
          currency: w.currency,
          barcode: u.barcode,
          lowStockThreshold: u.lowStockThreshold,
          weightGrams: u.weightGrams,
          updatedAt: w.at,
        })
        .where(eq(skus.id, u.id)),
    ),
  ];
  const [first, ...rest] = statements;
  if (!first) return { products: 0 };
  const results = (await db.batch([first, ...rest])) as unknown[];
  const created = results.slice(0, productInserts.length) as { id: string }[][];
  return { products: created.reduce((n, r) => n + r.length, 0) };
}

/** Marks the page applied with what it did; only the first application of a page records its outcome. */
export async function markPageApplied(db: Db, importId: string, page: number, outcome: PageOutcome, at: string) {
  await db
    .update(productImportPages)
    .set({ appliedAt: at, ...outcome, errors: outcome.errors.length > 0 ? outcome.errors : null })
    .where(
      and(
        eq(productImportPages.importId, importId),
        eq(productImportPages.page, page),
        isNull(productImportPages.appliedAt),
      ),
    )
    .run();
}
