import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { database } from "../../src/db/client";
import { insertImport, markPageApplied } from "../../src/db/product-imports";
import type { ImportRow } from "../../src/domain/product-csv";
import { addSeconds, isoSeconds } from "../../src/domain/time";
import { applyImportPage, STALLED_AFTER_SECONDS } from "../../src/product-import/apply";
import { ADMIN, api, uid } from "../support/api";
import { lost, stockCalls } from "../support/bindings";
import { inr, newProduct, newSku, newVendorWithToken, newWarehouse } from "../support/catalog";
import { freshGtin, uniqueCode, untilImported } from "../support/product-csv";

// Imports are stored directly (no message sent for them) and their pages applied by hand, so the
// order pages apply in is the test's; only a page the code under test sends itself goes by the queue.

function row(line: number, code: string, gtin: string, priceMinor: number): ImportRow {
  return {
    line,
    productLine: line,
    productTitle: `Order ${code}`,
    productDescription: null,
    code,
    title: null,
    priceMinor,
    gtin,
    lowStockThreshold: null,
    stock: [],
  };
}

async function storedImport(vendorId: string, createdAt: Date, pages: ImportRow[][]): Promise<string> {
  const id = uid("imp_");
  const rows = pages.flat().length;
  const record = {
    id,
    vendorId,
    contentHash: uid("hash"),
    totalRows: rows,
    validRows: rows,
    pages: pages.length,
    errors: [],
    invalidRows: 0,
    createdAt: isoSeconds(createdAt),
  };
  expect(await insertImport(database(env), record, pages)).toBe(true);
  return id;
}

const noChange = { createdProducts: 0, createdSkus: 0, offers: 0, updatedSkus: 0, stockLevels: 0, errors: [] };

async function priceOf(skuId: string): Promise<number> {
  return (await api("GET", `/v1/skus/${skuId}`, { token: ADMIN })).body.price.amountMinor;
}

describe("a vendor's imports apply in upload order", () => {
  it("a correction uploaded while an earlier import applies waits for it, so its prices are the ones kept", async () => {
    const v = await newVendorWithToken();
    const gtin = freshGtin();
    const sku = await newSku(v.vendorId, (await newProduct()).id, { barcode: gtin, price: inr(1000) });
    const now = new Date();
    // The earlier import: its first page applied, its second (with the wrong price) still to come.
    const earlier = await storedImport(v.vendorId, addSeconds(now, -10), [
      [row(2, uniqueCode(), freshGtin(), 500)],
      [row(402, sku.code, gtin, 1111)],
    ]);
    await markPageApplied(database(env), earlier, 0, noChange, isoSeconds(addSeconds(now, -5)));
    const correction = await storedImport(v.vendorId, now, [[row(2, sku.code, gtin, 2222)]]);

    // The correction's page comes first: it does not apply yet.
    expect(await applyImportPage(env, correction, 0, new Date())).toBeNull();
    expect((await api("GET", `/v1/product-imports/${correction}`, { token: v.token })).body).toMatchObject({
      status: "applying",
      appliedRows: 0,
    });
    expect(await applyImportPage(env, earlier, 1, new Date())).toMatchObject({ updatedSkus: 1 });
    expect(await priceOf(sku.id)).toBe(1111);

    // Sent again by itself, it applies once the earlier import is done.
    const done = await untilImported(v.token, correction);
    expect(done.body).toMatchObject({ appliedRows: 1, updatedSkus: 1 });
    expect(await priceOf(sku.id)).toBe(2222);
  });

  it("an earlier import that stalled does not hold a later one back, and refuses its rows if it resumes", async () => {
    const v = await newVendorWithToken();
    const gtin = freshGtin();
    const sku = await newSku(v.vendorId, (await newProduct()).id, { barcode: gtin, price: inr(1000) });
    const now = new Date();
    // Its first page never reached the queue, and nothing was applied since.
    const stalled = await storedImport(v.vendorId, addSeconds(now, -STALLED_AFTER_SECONDS - 60), [
      [row(2, sku.code, gtin, 1111), row(3, uniqueCode(), freshGtin(), 700)],
    ]);
    const later = await storedImport(v.vendorId, now, [[row(2, sku.code, gtin, 2222)]]);

    expect(await applyImportPage(env, later, 0, new Date())).toMatchObject({ updatedSkus: 1 });
    expect(await priceOf(sku.id)).toBe(2222);

    // The stalled one's page comes after all (a dead letter replayed): the later file's prices stay.
    const resumed = await applyImportPage(env, stalled, 0, new Date());
    expect(resumed).toMatchObject({ updatedSkus: 0, createdSkus: 0 });
    expect(resumed!.errors).toEqual([
      { line: 2, field: "row", message: expect.stringContaining(later) },
      { line: 3, field: "row", message: expect.stringContaining(later) },
    ]);
    expect(await priceOf(sku.id)).toBe(2222);
    expect((await api("GET", `/v1/product-imports/${stalled}`, { token: v.token })).body).toMatchObject({
      status: "done",
      invalidRows: 2,
      createdSkus: 0,
    });
  });

  it("a stalled import that resumes once a later one wrote its prices, before that one is done, refuses its rows", async () => {
    const v = await newVendorWithToken();
    const wh = await newWarehouse(v.vendorId);
    const gtin = freshGtin();
    const sku = await newSku(v.vendorId, (await newProduct()).id, { barcode: gtin, price: inr(1000) });
    const now = new Date();
    const stalled = await storedImport(v.vendorId, addSeconds(now, -STALLED_AFTER_SECONDS - 60), [
      [row(2, sku.code, gtin, 1111)],
    ]);
    const later = await storedImport(v.vendorId, now, [
      [{ ...row(2, sku.code, gtin, 2222), stock: [{ warehouseId: wh.id, onHand: 5 }] }],
    ]);

    // The later import's catalog batch is written, then its stock object cannot be reached: its page
    // is not applied yet, and the queue will deliver it again.
    const unreachable = stockCalls({ setOnHand: () => lost });
    await expect(applyImportPage(unreachable, later, 0, new Date())).rejects.toThrow();
    expect(await priceOf(sku.id)).toBe(2222);

    // The stalled one's page comes meanwhile: the later file's prices stay.
    const resumed = await applyImportPage(env, stalled, 0, new Date());
    expect(resumed).toMatchObject({ updatedSkus: 0 });
    expect(resumed!.errors).toEqual([{ line: 2, field: "row", message: expect.stringContaining(later) }]);
    expect(await priceOf(sku.id)).toBe(2222);

    expect(await applyImportPage(env, later, 0, new Date())).toMatchObject({ updatedSkus: 1, stockLevels: 1 });
    expect(await priceOf(sku.id)).toBe(2222);
  });

  it("an import that only waited its turn is not taken for stalled by the one uploaded after it", async () => {
    const v = await newVendorWithToken();
    const now = new Date();
    const minutes = (m: number) => addSeconds(now, m * 60);
    const page = (code: string) => [row(2, code, freshGtin(), 1000)];
    // A long catalog uploaded 20 minutes ago, its last page applied just now; two corrections
    // uploaded while it applied, neither started yet.
    const catalog = await storedImport(v.vendorId, minutes(-20), [page(uniqueCode())]);
    await markPageApplied(database(env), catalog, 0, noChange, isoSeconds(addSeconds(now, -1)));
    const first = await storedImport(v.vendorId, minutes(-18), [page(uniqueCode())]);
    const second = await storedImport(v.vendorId, minutes(-17), [page(uniqueCode())]);

    // The second waits for the first, which could only start now.
    expect(await applyImportPage(env, second, 0, now)).toBeNull();
    expect(await applyImportPage(env, first, 0, now)).toMatchObject({ createdSkus: 1 });
    expect(await applyImportPage(env, second, 0, now)).toMatchObject({ createdSkus: 1 });
  });
});
