import { and, count, desc, eq, gte, inArray, isNull, max, or, sql } from "drizzle-orm";
import type { RowError } from "../contracts/product-imports";
import { type ImportRow, productTitleKey } from "../domain/product-csv";
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
 * the last one was, and how many have written to the catalog or are applied (a page's catalog batch
 * sets its `errors`, before its stock calls and `appliedAt`): the order a vendor's imports apply in
 * is decided from these (`product-import`).
 */
export async function vendorImportsSince(db: Db, vendorId: string, since: string) {
  return db
    .select({
      id: productImports.id,
      createdAt: productImports.createdAt,
      pages: productImports.pages,
      applied: count(productImportPages.appliedAt),
      lastApplied: max(productImportPages.appliedAt),
      started: sql<number>`count(case when ${productImportPages.errors} is not null or ${productImportPages.appliedAt} is not null then 1 end)`,
    })
    .from(productImports)
    .leftJoin(productImportPages, eq(productImportPages.importId, productImports.id))
    .where(and(eq(productImports.vendorId, vendorId), gte(productImports.createdAt, since)))
    .groupBy(productImports.id)
    .all();
}

/** What a page's application recorded: its counts and its refused rows. */
const pageCounts = {
  createdProducts: productImportPages.createdProducts,
  createdSkus: productImportPages.createdSkus,
  offers: productImportPages.offers,
  updatedSkus: productImportPages.updatedSkus,
  stockLevels: productImportPages.stockLevels,
  errors: productImportPages.errors,
};

/** What the applied pages of an import did so far. */
export async function importProgress(db: Db, importId: string) {
  const rows = await db
    .select({
      page: productImportPages.page,
      rowCount: productImportPages.rowCount,
      appliedAt: productImportPages.appliedAt,
      ...pageCounts,
    })
    .from(productImportPages)
    .where(eq(productImportPages.importId, importId))
    .all();
  return rows.map((r) => ({ ...r, errors: (r.errors ?? []) as RowError[] }));
}

/**
 * A page's rows, whether it is applied, and whether its catalog batch is written (`errors` is null
 * only until then, `writeCatalogRows`): a page whose stock calls failed is applied again from there.
 */
export async function loadPage(db: Db, importId: string, page: number) {
  const row = await db
    .select({
      rows: productImportPages.rows,
      appliedAt: productImportPages.appliedAt,
      written: sql<number>`${productImportPages.errors} is not null`,
    })
    .from(productImportPages)
    .where(and(eq(productImportPages.importId, importId), eq(productImportPages.page, page)))
    .get();
  return row ? { rows: row.rows as ImportRow[], applied: row.appliedAt !== null, written: row.written === 1 } : null;
}

/** What the page's catalog batch recorded, and the stock levels counted so far. */
export async function pageOutcome(db: Db, importId: string, page: number): Promise<PageOutcome> {
  const row = await db
    .select({
      ...pageCounts,
    })
    .from(productImportPages)
    .where(and(eq(productImportPages.importId, importId), eq(productImportPages.page, page)))
    .get();
  if (!row) throw new Error(`import ${importId} page ${page} vanished`);
  return { ...row, errors: ((row.errors ?? []) as RowError[]).sort((a, b) => a.line - b.line) };
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
 * The vendor's products (those it sells a SKU of) with these titles, case folded as the file's rows
 * are grouped (`productTitleKey`: NOCASE, A-Z only), keyed by that fold: a row adding a variant joins
 * the product its other variants are on, however the file capitalises it. Where several match
 * (created before), the oldest. Served by the vendor's SKUs (skus_vendor_code) and products by id,
 * as an exact match was: there is no index on products.title to lose.
 */
export async function vendorProductsTitled(db: Db, vendorId: string, titles: string[]): Promise<Map<string, string>> {
  const rows = await selectIn(db, titles.map(productTitleKey), (c) =>
    db
      .selectDistinct({ id: products.id, title: products.title, createdAt: products.createdAt })
      .from(skus)
      .innerJoin(products, eq(products.id, skus.productId))
      .where(
        and(
          eq(skus.vendorId, vendorId),
          // The IN list compares with its left side's collation.
          sql`${products.title} collate nocase in (${sql.join(
            c.map((t) => sql`${t}`),
            sql`, `,
          )})`,
        ),
      ),
  );
  const oldestFirst = rows.sort((a, b) =>
    a.createdAt !== b.createdAt ? (a.createdAt < b.createdAt ? -1 : 1) : a.id < b.id ? -1 : 1,
  );
  const byTitle = new Map<string, string>();
  for (const p of oldestFirst) {
    const key = productTitleKey(p.title);
    if (!byTitle.has(key)) byTitle.set(key, p.id);
  }
  return byTitle;
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
 * A page's catalog writes and their counts in one batch (a D1 batch is one transaction), so a page
 * applied again after its stock calls failed keeps the counts of the attempt that wrote it: that
 * retry could not count again what is already written. Ids are derived from the import and the
 * line, and inserts skip what exists, so nothing is written twice. The first statement counts the
 * products not there yet, the last the new SKUs written (one whose code or GTIN another SKU of the
 * vendor took after the page was planned, by another import or the API, is refused on its row);
 * both only while the page's `errors` is null, which the last sets: only the first batch counts.
 */
export async function writeCatalogRows(
  db: Db,
  w: {
    importId: string;
    page: number;
    products: NewProduct[];
    skus: NewSku[];
    updates: SkuUpdate[];
    /** The file's line of each new SKU, and whether it is an offer on another seller's product. */
    created: { skuId: string; line: number; offer: boolean }[];
    errors: RowError[];
    refusal: string;
    currency: string;
    at: string;
  },
): Promise<void> {
  const unwritten = and(
    eq(productImportPages.importId, w.importId),
    eq(productImportPages.page, w.page),
    isNull(productImportPages.appliedAt),
    isNull(productImportPages.errors),
  );
  // Each list goes in as one JSON parameter: 400 rows would not fit D1's 100 bound parameters.
  const productIds = JSON.stringify(w.products.map((p) => p.id));
  const created = JSON.stringify(w.created);
  const isWritten = sql`exists (select 1 from ${skus} where ${skus.id} = json_extract(c.value, '$.skuId'))`;
  const statements: Statement[] = [
    db
      .update(productImportPages)
      .set({
        createdProducts: sql`(select count(*) from json_each(${productIds}) where value not in (select ${products.id} from ${products}))`,
      })
      .where(unwritten),
    ...chunks(w.products, rowsPerInsert(products)).map((c) => db.insert(products).values(c).onConflictDoNothing()),
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
    db
      .update(productImportPages)
      .set({
        createdSkus: sql`(select count(*) from json_each(${created}) as c where ${isWritten})`,
        offers: sql`(select count(*) from json_each(${created}) as c where json_extract(c.value, '$.offer') and ${isWritten})`,
        updatedSkus: w.updates.length,
        errors: sql`(select json_group_array(json(e)) from (
          select value as e from json_each(${JSON.stringify(w.errors)})
          union all
          select json_object('line', json_extract(c.value, '$.line'), 'field', 'sku_code', 'message', ${w.refusal})
            from json_each(${created}) as c where not ${isWritten}))`,
      })
      .where(unwritten),
  ];
  const [first, ...rest] = statements;
  await db.batch([first!, ...rest]);
}

/** The page, while not yet applied. */
const unapplied = (importId: string, page: number) =>
  and(
    eq(productImportPages.importId, importId),
    eq(productImportPages.page, page),
    isNull(productImportPages.appliedAt),
  );

/**
 * Adds the stock levels an attempt created before one of its stock calls failed: the next attempt
 * finds them existing and cannot tell them from levels the file did not create.
 */
export async function addStockLevels(db: Db, importId: string, page: number, levels: number) {
  if (levels === 0) return;
  await db
    .update(productImportPages)
    .set({ stockLevels: sql`${productImportPages.stockLevels} + ${levels}` })
    .where(unapplied(importId, page))
    .run();
}

/** Marks a page whose catalog batch is written applied, adding the stock levels its last attempt created. */
export async function finishPage(db: Db, importId: string, page: number, levels: number, at: string) {
  await db
    .update(productImportPages)
    .set({ appliedAt: at, stockLevels: sql`${productImportPages.stockLevels} + ${levels}` })
    .where(unapplied(importId, page))
    .run();
}

/**
 * Marks the page applied with this outcome (its rows refused) unless it is applied already or its
 * catalog batch was written meanwhile (`writeCatalogRows`): that application then finishes it.
 */
export async function markPageApplied(db: Db, importId: string, page: number, outcome: PageOutcome, at: string) {
  await db
    .update(productImportPages)
    .set({ appliedAt: at, ...outcome, errors: outcome.errors.length > 0 ? outcome.errors : null })
    .where(
      and(
        eq(productImportPages.importId, importId),
        eq(productImportPages.page, page),
        isNull(productImportPages.appliedAt),
        isNull(productImportPages.errors),
      ),
    )
    .run();
}
