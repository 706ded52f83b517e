import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { database } from "../../src/db/client";
import { insertImport } from "../../src/db/product-imports";
import { addSeconds } from "../../src/domain/time";
import { applyImportPage, STALLED_AFTER_SECONDS } from "../../src/product-import/apply";
import { uploadProducts } from "../../src/product-import/upload";
import { ADMIN, api, uid } from "../support/api";
import { inr, newProduct, newSku, newVendorWithToken, newWarehouse } from "../support/catalog";
import { LIMITS, meteredDelivery, meteredEnv, meteredRequest, type Spend } from "../support/invocation-budget";
import { stockOf } from "../support/marketplace";
import { freshGtin, uniqueCode, untilImported, uploadCsv } from "../support/product-csv";

async function vendorSkus(vendorId: string, token: string) {
  const r = await api("GET", `/v1/skus?vendorId=${vendorId}&limit=100`, { token });
  expect(r.status).toBe(200);
  return r.body.items as {
    id: string;
    code: string;
    productId: string;
    price: { amountMinor: number };
    barcode: string;
  }[];
}

describe("products by CSV", () => {
  it("refuses a file that is not UTF-8, as Excel's plain CSV is, and keeps a UTF-8 one's accents", async () => {
    const v = await newVendorWithToken();
    const code = uniqueCode();
    const header = "product_title,sku_code,price,gtin\n";
    // "Café" in Windows-1252: 0xE9 alone is no UTF-8.
    const cp1252 = new Uint8Array([
      ...new TextEncoder().encode(`${header}Caf`),
      0xe9,
      ...new TextEncoder().encode(`,${code},99,${freshGtin()}`),
    ]);
    const refused = await api("POST", "/v1/product-imports", {
      token: v.token,
      rawBody: cp1252,
      headers: { "content-type": "text/csv; charset=windows-1252" },
    });
    expect(refused.status).toBe(422);
    expect(refused.body.errors).toEqual([{ path: "body", message: expect.stringContaining("UTF-8") }]);
    expect(await vendorSkus(v.vendorId, v.token)).toEqual([]);

    // The same row saved as "CSV UTF-8" (with Excel's byte-order mark) imports as written.
    const bom = "\ufeff";
    const r = await uploadCsv(v.token, `${bom}${header}Café,${code},99,${freshGtin()}`);
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    await untilImported(v.token, r.body.id);
    const [sku] = await vendorSkus(v.vendorId, v.token);
    const product = await api("GET", `/v1/products/${sku!.productId}`, { token: v.token });
    expect(product.body.title).toBe("Café");
  });

  it("applies exactly the good rows and reports each bad one by line, field and why", async () => {
    const v = await newVendorWithToken();
    const wh = await newWarehouse(v.vendorId, { name: "Main" });
    const [a, b, c] = [uniqueCode(), uniqueCode(), uniqueCode()];
    const csv = [
      "product_title,sku_code,sku_title,price,gtin,stock:Main",
      `Linen shirt,${a},Linen shirt M,1499.00,${freshGtin()},12`,
      `Linen shirt,${b},Linen shirt L,1499.5,${freshGtin()},`,
      `Mug,BAD-PRICE,,12.345,${freshGtin()},1`,
      `Mug,BAD-GTIN,,99,8901234567891,1`,
      `,NO-TITLE,,99,${freshGtin()},1`,
      `"Tea, green",${c},,250,${freshGtin()},3`,
      `Mug,${a},,99,${freshGtin()},1`,
      `Mug,BAD-STOCK,,99,${freshGtin()},-4`,
    ].join("\n");
    const r = await uploadCsv(v.token, csv);
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ totalRows: 8, validRows: 3, invalidRows: 5 });
    expect(r.body.errors).toEqual([
      { line: 4, field: "price", message: expect.stringContaining("two decimals") },
      { line: 5, field: "gtin", message: expect.stringContaining("check digit") },
      { line: 6, field: "product_title", message: expect.any(String) },
      { line: 8, field: "sku_code", message: "already used on line 2" },
      { line: 9, field: "stock:main", message: expect.any(String) },
    ]);
    const done = await untilImported(v.token, r.body.id);
    expect(done.body).toMatchObject({ appliedRows: 3, createdSkus: 3, createdProducts: 2, offers: 0, stockLevels: 2 });
    const skus = await vendorSkus(v.vendorId, v.token);
    expect(skus.map((s) => s.code).sort()).toEqual([a, b, c].sort());
    const byCode = new Map(skus.map((s) => [s.code, s]));
    // Rows naming the same product title share one product.
    expect(byCode.get(a)!.productId).toBe(byCode.get(b)!.productId);
    expect(byCode.get(b)!.price.amountMinor).toBe(149_950);
    expect((await stockOf(byCode.get(a)!.id)).warehouses).toMatchObject([{ warehouseId: wh.id, onHand: 12 }]);
    expect((await stockOf(byCode.get(b)!.id)).warehouses).toEqual([]);
  });

  it("a file whose lines end in a bare CR (old Excel for Mac) makes a SKU of each row", async () => {
    const v = await newVendorWithToken();
    const [a, b] = [uniqueCode(), uniqueCode()];
    const csv = `product_title,sku_code,price,gtin\rMug,${a},99,${freshGtin()}\rPlate,${b},149,${freshGtin()}\r`;
    const r = await uploadCsv(v.token, csv);
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ totalRows: 2, validRows: 2, errors: [] });
    const done = await untilImported(v.token, r.body.id);
    expect(done.body).toMatchObject({ createdSkus: 2, createdProducts: 2 });
    const skus = await vendorSkus(v.vendorId, v.token);
    expect(skus.map((s) => s.code).sort()).toEqual([a, b].sort());
    expect(new Set(skus.map((s) => s.productId)).size).toBe(2);
  });

  it("refuses a file whose header it cannot use, naming why, and stores nothing", async () => {
    const v = await newVendorWithToken();
    const r = await uploadCsv(v.token, `product_title,sku_code,price,gtin,stock:Nowhere\nA,B,1,${freshGtin()},1\n`);
    expect(r.status).toBe(422);
    expect(r.body.errors[0].message).toContain("stock:nowhere");
    expect((await api("GET", "/v1/product-imports", { token: v.token })).body.items).toEqual([]);
  });

  it("refuses a stock column whose name two of the vendor's warehouses share, storing nothing", async () => {
    const v = await newVendorWithToken();
    // The old warehouse closed and a new one opened under the same name.
    const old = await newWarehouse(v.vendorId, { name: "Main" });
    await api("PATCH", `/v1/warehouses/${old.id}`, { token: ADMIN, body: { status: "inactive" } });
    const current = await newWarehouse(v.vendorId, { name: "main" });
    const r = await uploadCsv(
      v.token,
      `product_title,sku_code,price,gtin,stock:Main\nA,${uniqueCode()},1,${freshGtin()},5\n`,
    );
    expect(r.status).toBe(422);
    expect(r.body.errors[0].message).toContain(old.id);
    expect(r.body.errors[0].message).toContain(current.id);
    expect((await api("GET", "/v1/product-imports", { token: v.token })).body.items).toEqual([]);
    // By id, it goes where it is meant to.
    const byId = await uploadCsv(
      v.token,
      `product_title,sku_code,price,gtin,stock:${current.id}\nA,${uniqueCode()},1,${freshGtin()},5\n`,
    );
    expect(byId.status).toBe(202);
    await untilImported(v.token, byId.body.id);
    const [sku] = await vendorSkus(v.vendorId, v.token);
    expect((await stockOf(sku!.id)).warehouses).toMatchObject([{ warehouseId: current.id, onHand: 5 }]);
  });

  it("a re-upload of the same content changes nothing and answers the first import", async () => {
    const v = await newVendorWithToken();
    const wh = await newWarehouse(v.vendorId);
    const code = uniqueCode();
    const csv = `product_title,sku_code,price,gtin,stock:${wh.id}\nKettle,${code},899,${freshGtin()},4\n`;
    const first = await uploadCsv(v.token, csv);
    expect(first.status).toBe(202);
    await untilImported(v.token, first.body.id);
    const [sku] = await vendorSkus(v.vendorId, v.token);
    // Someone sells two meanwhile: a second apply would have counted them back.
    expect(
      (
        await api("POST", `/v1/skus/${sku!.id}/stock/adjustments`, {
          token: ADMIN,
          body: { warehouseId: wh.id, delta: -2, reason: "damage" },
          headers: { "idempotency-key": uid("key") },
        })
      ).status,
    ).toBe(200);
    const again = await uploadCsv(v.token, csv);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: first.body.id, status: "done", createdSkus: 1 });
    expect(await vendorSkus(v.vendorId, v.token)).toHaveLength(1);
    expect((await stockOf(sku!.id)).totals.onHand).toBe(2);
  });

  it("the same file again after another import is a new import: it puts back what the other changed", async () => {
    const v = await newVendorWithToken();
    const [code, gtin] = [uniqueCode(), freshGtin()];
    const april = `product_title,sku_code,price,gtin\nKettle,${code},899,${gtin}\n`;
    const may = `product_title,sku_code,price,gtin\nKettle,${code},999,${gtin}\n`;
    const first = await uploadCsv(v.token, april);
    await untilImported(v.token, first.body.id);
    const second = await uploadCsv(v.token, may);
    expect(second.status).toBe(202);
    await untilImported(v.token, second.body.id);
    expect((await vendorSkus(v.vendorId, v.token))[0]!.price.amountMinor).toBe(99_900);

    const back = await uploadCsv(v.token, april);
    expect(back.status).toBe(202);
    expect(back.body.id).not.toBe(first.body.id);
    const done = await untilImported(v.token, back.body.id);
    expect(done.body).toMatchObject({ appliedRows: 1, updatedSkus: 1, createdSkus: 0 });
    expect((await vendorSkus(v.vendorId, v.token))[0]!.price.amountMinor).toBe(89_900);
    // Sent twice in a row, it is still one import.
    const retry = await uploadCsv(v.token, april);
    expect(retry.status).toBe(200);
    expect(retry.body.id).toBe(back.body.id);
    expect((await api("GET", "/v1/product-imports", { token: v.token })).body.items).toHaveLength(3);
  });

  it("the same file long after its import is a new import: a row it refused goes in once fixed", async () => {
    const v = await newVendorWithToken();
    const gtin = freshGtin();
    const holder = await newSku(v.vendorId, (await newProduct()).id, { barcode: gtin });
    const csv = `product_title,sku_code,price,gtin\nKettle,${uniqueCode()},899,${gtin}\n`;
    const first = await uploadCsv(v.token, csv);
    const refused = await untilImported(v.token, first.body.id);
    expect(refused.body).toMatchObject({ createdSkus: 0, invalidRows: 1 });
    expect(refused.body.errors).toEqual([
      { line: 2, field: "gtin", message: `your SKU ${holder.code} already has this GTIN` },
    ]);
    // The vendor gives its own SKU its right barcode in the app, and sends the file again an hour on.
    const fixed = await api("PATCH", `/v1/skus/${holder.id}`, { token: v.token, body: { barcode: freshGtin() } });
    expect(fixed.status, JSON.stringify(fixed.body)).toBe(200);
    const again = await uploadProducts(env, v.vendorId, csv, addSeconds(new Date(), 60 * 60));
    expect(again).toMatchObject({ ok: true, replayed: false });
    if (!again.ok) return;
    expect(again.import.id).not.toBe(first.body.id);
    const done = await untilImported(v.token, again.import.id);
    expect(done.body).toMatchObject({ createdSkus: 1, invalidRows: 0, errors: [] });
  });

  it("a GTIN another seller already sells becomes this vendor's offer on that product", async () => {
    const other = await newVendorWithToken();
    const product = await newProduct("Espresso machine");
    const gtin = freshGtin();
    await newSku(other.vendorId, product.id, { barcode: gtin });
    const v = await newVendorWithToken();
    const r = await uploadCsv(
      v.token,
      `product_title,sku_code,price,gtin\nMy espresso,${uniqueCode()},20999,${gtin}\n`,
    );
    const done = await untilImported(v.token, r.body.id);
    expect(done.body).toMatchObject({ createdSkus: 1, offers: 1, createdProducts: 0 });
    const [sku] = await vendorSkus(v.vendorId, v.token);
    expect(sku).toMatchObject({ productId: product.id, barcode: gtin });
  });

  it("a GTIN only a vendor that does not sell carries joins no product of its", async () => {
    // A vendor paused by ops had typed the GTIN onto a product of its own.
    const paused = await newVendorWithToken();
    const junk = await newProduct("Junk");
    const gtin = freshGtin();
    await newSku(paused.vendorId, junk.id, { barcode: gtin });
    expect(
      (await api("PATCH", `/v1/vendors/${paused.vendorId}`, { token: ADMIN, body: { status: "suspended" } })).status,
    ).toBe(200);
    const v = await newVendorWithToken();
    const r = await uploadCsv(v.token, `product_title,sku_code,price,gtin\nLinen shirt,${uniqueCode()},1599,${gtin}\n`);
    const done = await untilImported(v.token, r.body.id);
    expect(done.body).toMatchObject({ createdSkus: 1, offers: 0, createdProducts: 1 });
    const [sku] = await vendorSkus(v.vendorId, v.token);
    expect(sku?.productId).not.toBe(junk.id);
    expect((await api("GET", `/v1/products/${sku?.productId}`, { token: ADMIN })).body.title).toBe("Linen shirt");
  });

  it("a new variant joins the vendor's product of its title; another vendor's of that title is not its own", async () => {
    const other = await newVendorWithToken();
    const othersShirt = await newProduct("Linen shirt");
    await newSku(other.vendorId, othersShirt.id, { barcode: freshGtin() });
    const v = await newVendorWithToken();
    const [m, l] = [uniqueCode(), uniqueCode()];
    const first = await uploadCsv(v.token, `product_title,sku_code,price,gtin\nLinen shirt,${m},1499,${freshGtin()}\n`);
    expect((await untilImported(v.token, first.body.id)).body).toMatchObject({ createdProducts: 1, createdSkus: 1 });
    const [shirtM] = await vendorSkus(v.vendorId, v.token);
    expect(shirtM!.productId).not.toBe(othersShirt.id);

    // A later file adds a size and a new product.
    const second = await uploadCsv(
      v.token,
      `product_title,sku_code,price,gtin\nLinen shirt,${l},1499,${freshGtin()}\nWool scarf,${uniqueCode()},999,${freshGtin()}\n`,
    );
    expect((await untilImported(v.token, second.body.id)).body).toMatchObject({ createdProducts: 1, createdSkus: 2 });
    const skus = await vendorSkus(v.vendorId, v.token);
    expect(skus.find((s) => s.code === l)!.productId).toBe(shirtM!.productId);
    const products = new Set(skus.map((s) => s.productId));
    expect(products.size).toBe(2);
  });

  it("stock sets only the levels the file creates; an existing level keeps its count", async () => {
    const v = await newVendorWithToken();
    const w1 = await newWarehouse(v.vendorId);
    const w2 = await newWarehouse(v.vendorId);
    const product = await newProduct();
    const gtin = freshGtin();
    const existing = await newSku(v.vendorId, product.id, { barcode: gtin, price: inr(1000) });
    expect(
      (
        await api("PUT", `/v1/skus/${existing.id}/stock`, {
          token: ADMIN,
          body: { warehouseId: w1.id, onHand: 5, reason: "count" },
        })
      ).status,
    ).toBe(200);
    const csv = `product_title,sku_code,price,gtin,stock:${w1.id},stock:${w2.id}\nX,${existing.code},12.00,${gtin},50,7\n`;
    const r = await uploadCsv(v.token, csv);
    const done = await untilImported(v.token, r.body.id);
    expect(done.body).toMatchObject({ updatedSkus: 1, createdSkus: 0, stockLevels: 1 });
    const levels = new Map((await stockOf(existing.id)).warehouses.map((w) => [w.warehouseId, w.onHand]));
    expect(Object.fromEntries(levels)).toEqual({ [w1.id]: 5, [w2.id]: 7 });
    expect((await api("GET", `/v1/skus/${existing.id}`, { token: ADMIN })).body.price.amountMinor).toBe(1200);
  });

  it("a price list without the optional columns keeps an existing SKU's own title, threshold and weight", async () => {
    const v = await newVendorWithToken();
    const product = await newProduct("Linen shirt");
    const sku = await newSku(v.vendorId, product.id, {
      title: "Linen shirt, size M",
      lowStockThreshold: 8,
      barcode: freshGtin(),
    });
    const prices = `product_title,sku_code,price,gtin\nLinen shirt,${sku.code},1599.00,${sku.barcode}\n`;
    const done = await untilImported(v.token, (await uploadCsv(v.token, prices)).body.id);
    expect(done.body).toMatchObject({ updatedSkus: 1, createdSkus: 0 });
    const after = (await api("GET", `/v1/skus/${sku.id}`, { token: ADMIN })).body;
    expect(after).toMatchObject({ title: "Linen shirt, size M", lowStockThreshold: 8, price: inr(159_900) });
    // Blank cells of present columns leave them too; a value given changes them.
    const blanks = `product_title,sku_code,sku_title,price,gtin,low_stock_threshold\nLinen shirt,${sku.code},,1599.00,${sku.barcode},\n`;
    const same = await untilImported(v.token, (await uploadCsv(v.token, blanks)).body.id);
    expect(same.body).toMatchObject({ updatedSkus: 0 });
    const given = `product_title,sku_code,sku_title,price,gtin,low_stock_threshold\nLinen shirt,${sku.code},Shirt M,1599.00,${sku.barcode},0\n`;
    await untilImported(v.token, (await uploadCsv(v.token, given)).body.id);
    expect((await api("GET", `/v1/skus/${sku.id}`, { token: ADMIN })).body).toMatchObject({
      title: "Shirt M",
      lowStockThreshold: 0,
      weightGrams: 500,
    });
    // A shipping weight given is the SKU's from then on; a new SKU without one weighs 500 g.
    const code = uniqueCode();
    const weights = `product_title,sku_code,price,gtin,weight_grams\nLinen shirt,${sku.code},1599.00,${sku.barcode},350\nLinen shirt,${code},1599.00,${freshGtin()},\n`;
    const weighed = await untilImported(v.token, (await uploadCsv(v.token, weights)).body.id);
    expect(weighed.body).toMatchObject({ updatedSkus: 1, createdSkus: 1 });
    expect((await api("GET", `/v1/skus/${sku.id}`, { token: ADMIN })).body.weightGrams).toBe(350);
    const added = (await api("GET", `/v1/skus?vendorId=${v.vendorId}&limit=200`, { token: ADMIN })).body.items.find(
      (s: { code: string }) => s.code === code,
    );
    expect(added.weightGrams).toBe(500);
  });

  it("of two imports applying the same new code at once, the one whose SKU was not written refuses its row", async () => {
    const v = await newVendorWithToken();
    const wh = await newWarehouse(v.vendorId);
    const code = uniqueCode();
    // Stored directly, so no queue consumer applies them before the two applications below race.
    // A vendor's imports apply one after another unless the earlier stalled: both stalled long ago.
    const stalledAt = new Date(Date.now() - (STALLED_AFTER_SECONDS + 60) * 1000);
    const ids = [uid("imp_"), uid("imp_")];
    for (const [i, id] of ids.entries()) {
      const row = {
        line: 2,
        productLine: 2,
        productTitle: `Race ${code}`,
        productDescription: null,
        code,
        title: null,
        priceMinor: 1000 + i,
        gtin: freshGtin(),
        lowStockThreshold: null,
        stock: [{ warehouseId: wh.id, onHand: 5 }],
      };
      const record = {
        id,
        vendorId: v.vendorId,
        contentHash: uid("hash"),
        totalRows: 1,
        validRows: 1,
        pages: 1,
        errors: [],
        invalidRows: 0,
        createdAt: `${stalledAt.toISOString().slice(0, 19)}Z`,
      };
      expect(await insertImport(database(env), record, [[row]])).toBe(true);
    }
    const outcomes = await Promise.all(ids.map((id) => applyImportPage(env, id, 0, new Date())));
    const skus = await vendorSkus(v.vendorId, v.token);
    expect(skus.map((s) => s.code)).toEqual([code]);
    // Whatever the interleaving: one SKU, and only as many created (and stocked) as were written.
    expect(outcomes.reduce((n, o) => n + o!.createdSkus, 0)).toBe(1);
    expect(outcomes.reduce((n, o) => n + o!.stockLevels, 0)).toBe(1);
    // The other either saw the SKU and updated it, or lost the insert and says so on its row (or,
    // the earlier of the two coming after the later one had applied, refused its row as superseded).
    const other = outcomes.find((o) => o!.createdSkus === 0)!;
    if (other.updatedSkus === 0) {
      expect(other.errors).toEqual([
        { line: 2, field: expect.stringMatching(/^(sku_code|row)$/), message: expect.any(String) },
      ]);
    }
  });

  it("a GTIN another of the vendor's SKUs carries is refused on its row when applied", async () => {
    const v = await newVendorWithToken();
    const product = await newProduct();
    const gtin = freshGtin();
    const mine = await newSku(v.vendorId, product.id, { barcode: gtin });
    const r = await uploadCsv(v.token, `product_title,sku_code,price,gtin\nY,${uniqueCode()},10,${gtin}\n`);
    const done = await untilImported(v.token, r.body.id);
    expect(done.body).toMatchObject({ createdSkus: 0, invalidRows: 1 });
    expect(done.body.errors).toEqual([
      { line: 2, field: "gtin", message: `your SKU ${mine.code} already has this GTIN` },
    ]);
  });

  it("another vendor's import is 404, as is an unknown one", async () => {
    const a = await newVendorWithToken();
    const b = await newVendorWithToken();
    const r = await uploadCsv(a.token, `product_title,sku_code,price,gtin\nZ,${uniqueCode()},10,${freshGtin()}\n`);
    expect(r.status).toBe(202);
    expect((await api("GET", `/v1/product-imports/${r.body.id}`, { token: b.token })).status).toBe(404);
    expect((await api("GET", "/v1/product-imports/imp_nope", { token: a.token })).status).toBe(404);
    expect((await api("GET", `/v1/product-imports/${r.body.id}`, { token: ADMIN })).status).toBe(200);
    expect((await api("GET", "/v1/product-imports", { token: b.token })).body.items).toEqual([]);
    await untilImported(a.token, r.body.id);
  });

  it("a 10,000-row file imports with visible progress, each invocation within Workers' limits", async () => {
    const v = await newVendorWithToken({ hourlyCapacity: 1000 });
    await newWarehouse(v.vendorId, { name: "Bulk" });
    const prefix = uniqueCode();
    const lines = ["product_title,sku_code,price,gtin,stock:Bulk"];
    for (let i = 0; i < 10_000; i++) {
      // Every row of the last page carries stock: the page that costs the most stock-object calls.
      const stock = i >= 9_600 ? String(i % 7) : "";
      lines.push(`Bulk item ${Math.floor(i / 4)},${prefix}-${i},${(i % 900) + 1}.99,${freshGtin()},${stock}`);
    }
    const upload = await meteredRequest("POST", "/v1/product-imports", {
      token: v.token,
      rawBody: lines.join("\n"),
      headers: { "content-type": "text/csv" },
    });
    expect(upload.status).toBe(202);
    expect(upload.body).toMatchObject({ validRows: 10_000, invalidRows: 0 });
    within(upload.spend);

    // The last page applied out of turn, metered: it is the costliest.
    const spend: Spend = { queries: 0, subrequests: 0, by: {} };
    const last = await applyImportPage(meteredEnv(spend), upload.body.id, 24, new Date());
    expect(last).toMatchObject({ createdSkus: 400, stockLevels: 400 });
    within(spend);
    expect(spend.by["SKU_STOCK.setOnHand"]).toBe(400);

    const done = await untilImported(v.token, upload.body.id, 240_000);
    expect(done.body).toMatchObject({ appliedRows: 10_000, createdSkus: 10_000, createdProducts: 2_500 });
    expect(done.body.stockLevels).toBe(400);
    // Progress moved through values in between, as the page's bar shows it.
    expect(done.seen.some((n) => n > 400 && n < 9_600)).toBe(true);
    const count = await env.DB.prepare("select count(*) as n from skus where vendor_id = ?")
      .bind(v.vendorId)
      .first<{ n: number }>();
    expect(count?.n).toBe(10_000);
  }, 300_000);
});

function within(spend: Spend) {
  expect(spend.queries, JSON.stringify(spend.by)).toBeLessThan(LIMITS.queries);
  expect(spend.subrequests, JSON.stringify(spend.by)).toBeLessThan(LIMITS.subrequests);
}

describe("import pages on the queue", () => {
  it("a delivery applies one page however many import pages it holds, and sends the others on", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const v = await newVendorWithToken();
      const r = await uploadCsv(v.token, `product_title,sku_code,price,gtin\nQ,${uniqueCode()},10,${freshGtin()}\n`);
      ids.push(r.body.id);
    }
    const delivery = await meteredDelivery(ids.map((importId) => ({ type: "product-import.page", importId, page: 0 })));
    expect(delivery.result.explicitAcks).toHaveLength(3);
    expect(delivery.spend.by["ORDER_EVENTS.send"]).toBe(2);
    within(delivery.spend);
  });

  it("stores long descriptions in pages that each fit a D1 row, and applies every row", async () => {
    const v = await newVendorWithToken();
    // 4,000 characters of Devanagari: 12 KB a row in UTF-8, so 400 rows would make a 4.8 MB page.
    const description = "क".repeat(4_000);
    const rows = Array.from({ length: 250 }, (_, i) => `Kurta ${i},${uniqueCode()},${description},499,${freshGtin()}`);
    const r = await uploadCsv(v.token, ["product_title,sku_code,product_description,price,gtin", ...rows].join("\n"));
    expect(r.status).toBe(202);
    const pages = await env.DB.prepare(
      "select count(*) as n, max(length(cast(rows as blob))) as largest from product_import_pages where import_id = ?",
    )
      .bind(r.body.id)
      .first<{ n: number; largest: number }>();
    // D1 refuses a row over 2,000,000 bytes (the local runtime does not): each page stays well under.
    expect(pages!.largest).toBeLessThanOrEqual(1_000_000);
    expect(pages!.n).toBeGreaterThan(1);
    const done = await untilImported(v.token, r.body.id);
    expect(done.body).toMatchObject({ appliedRows: 250, createdSkus: 250, createdProducts: 250 });
  });
});
