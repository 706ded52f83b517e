import { describe, expect, it } from "vitest";
import { readProductCsv } from "../../src/domain/product-csv";

const warehouses = [{ id: "wh_1", name: "Main" }];

describe("reading a product CSV", () => {
  it("numbers rows by the file's lines, across quoted line breaks, blank lines, CRLF and a BOM", () => {
    const csv =
      "\uFEFFproduct_title,product_description,sku_code,price,gtin,STOCK:main\r\n" +
      'Shirt,"Soft,\r\nlinen",S-1,10,8901234567890,4\r\n' +
      "\r\n" +
      "Shirt,,S-2,abc,8901234567906,\r\n";
    const r = readProductCsv(csv, warehouses, "INR");
    expect(r).toMatchObject({
      ok: true,
      totalRows: 2,
      rows: [
        { line: 2, productLine: 2, productDescription: "Soft,\r\nlinen", stock: [{ warehouseId: "wh_1", onHand: 4 }] },
      ],
      errors: [{ line: 5, field: "price" }],
    });
  });

  it("counts a lone CR as a line break, as Papa Parse splits rows on it (old Excel for Mac)", () => {
    const csv =
      "product_title,sku_code,price,gtin\r" +
      "Shirt,S-1,10,8901234567890\r" +
      "\r" +
      'Shirt,S-2,12,8901234567906\r"Mug, tall",M-1,abc,8901234567913\r';
    expect(readProductCsv(csv, warehouses, "INR")).toMatchObject({
      ok: true,
      totalRows: 3,
      rows: [
        { line: 2, productLine: 2, code: "S-1" },
        { line: 4, productLine: 2, code: "S-2" },
      ],
      errors: [{ line: 5, field: "price" }],
    });
  });

  it("skips the rows Papa Parse skips as empty and numbers the next row by its own line", () => {
    const csv =
      "product_title,sku_code,price,gtin\n" +
      ",,,\n" +
      "A,X,1,8901234567890\n" +
      " \t \n" +
      '"",, ,\r\n' +
      "\r" +
      "B,Y,abc,8901234567906\n" +
      "\n";
    expect(readProductCsv(csv, warehouses, "INR")).toMatchObject({
      ok: true,
      totalRows: 2,
      rows: [{ line: 3 }],
      errors: [{ line: 7, field: "price" }],
    });
  });

  it("keeps a semicolon-separated file readable, its delimiter guessed past empty rows", () => {
    const csv = "product_title;sku_code;price;gtin\n;;;\n;;;\nA;X;1;8901234567890\n";
    expect(readProductCsv(csv, warehouses, "INR")).toMatchObject({ ok: true, rows: [{ line: 4, code: "X" }] });
  });

  it("refuses a header with an unknown column or a stock column for no warehouse of the vendor", () => {
    expect(readProductCsv("product_title,sku_code,price,gtin,colour\n", warehouses, "INR")).toMatchObject({
      ok: false,
    });
    expect(readProductCsv("product_title,sku_code,price,gtin,stock:Elsewhere\n", warehouses, "INR")).toMatchObject({
      ok: false,
    });
    const twoMains = [...warehouses, { id: "wh_2", name: "MAIN" }];
    expect(readProductCsv("product_title,sku_code,price,gtin,stock:Main\n", twoMains, "INR")).toEqual({
      ok: false,
      message: 'column "stock:main": warehouses wh_1, wh_2 share that name; name one by its id',
    });
    expect(readProductCsv("product_title,sku_code,price,gtin,stock:wh_2\n", twoMains, "INR")).toMatchObject({
      ok: true,
    });
    expect(readProductCsv("product_title,sku_code,gtin\n", warehouses, "INR")).toEqual({
      ok: false,
      message: "missing column(s): price",
    });
    // Each row keeps one cell per name, so the second "price" would silently win.
    expect(
      readProductCsv(
        "product_title,sku_code,price,gtin,price\nA,X,899.00,8901234567890,999999.00\n",
        warehouses,
        "INR",
      ),
    ).toEqual({
      ok: false,
      message: 'column "price" appears twice in the header',
    });
  });

  it("reports a row with the wrong number of fields, and a code used twice on the later line", () => {
    const r = readProductCsv(
      "product_title,sku_code,price,gtin\nA,X,1,8901234567890\nB,X,1,8901234567906\nC,Y,1\n",
      warehouses,
      "INR",
    );
    expect(r).toMatchObject({
      ok: true,
      rows: [{ line: 2 }],
      errors: [
        { line: 3, field: "sku_code", message: "already used on line 2" },
        { line: 4, field: "row" },
      ],
    });
  });

  it("reads a unit's shipping weight in whole grams, a blank cell as none given", () => {
    const csv =
      "product_title,sku_code,price,gtin,weight_grams\n" +
      "Washing machine,WM-1,24999,8901234567890,62000\n" +
      "Mug,M-1,249,8901234567906,\n" +
      "Pan,P-1,999,8901234567913,1.5\n" +
      "Feather,F-1,9,8901234567920,0\n";
    expect(readProductCsv(csv, warehouses, "INR")).toMatchObject({
      ok: true,
      rows: [
        { code: "WM-1", weightGrams: 62_000 },
        { code: "M-1", weightGrams: null },
      ],
      errors: [
        { line: 4, field: "weight_grams" },
        { line: 5, field: "weight_grams" },
      ],
    });
  });

  it("reads prices in the marketplace currency's own minor unit, exactly", () => {
    const csv = (price: string) => `product_title,sku_code,price,gtin\nA,X,${price},8901234567890\n`;
    const read = (price: string, currency: string) => readProductCsv(csv(price), warehouses, currency);
    expect(read("499.05", "INR")).toMatchObject({ ok: true, rows: [{ priceMinor: 49_905 }] });
    expect(read("0.1", "INR")).toMatchObject({ ok: true, rows: [{ priceMinor: 10 }] });
    // The yen has no minor unit: 499 is 499 minor units, and a decimal is refused.
    expect(read("499", "JPY")).toMatchObject({ ok: true, rows: [{ priceMinor: 499 }] });
    expect(read("499.5", "JPY")).toMatchObject({ ok: true, rows: [], errors: [{ line: 2, field: "price" }] });
    // Three digits for the dinar.
    expect(read("1.005", "KWD")).toMatchObject({ ok: true, rows: [{ priceMinor: 1_005 }] });
  });
});
