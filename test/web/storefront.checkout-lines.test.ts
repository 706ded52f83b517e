import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { ApiProblem } from "../../web/src/api";
import { ProblemBanner } from "../../web/src/components/ProblemBanner";
import { type CartLine, checkoutLines, type ProductLine, vendorGroups } from "../../web/src/pages/Storefront";
import type { CatalogProduct, CatalogSku, ProblemBody } from "../../web/src/types";

const inr = (amountMinor: number) => ({ amountMinor, currency: "INR" });

const offer = (skuId: string, vendorId: string, title: string): CatalogSku => ({
  skuId,
  vendorId,
  vendorName: `Seller ${vendorId}`,
  productId: `prd_${skuId}`,
  title,
  price: inr(10_000),
  barcode: `89${skuId}`,
  available: 9,
});

const product = (productId: string, title: string): CatalogProduct => ({
  productId,
  title,
  minPrice: inr(9_900),
  maxPrice: inr(9_900),
  sellers: 2,
  offers: 2,
  oneItem: true,
  available: 9,
  images: [],
});

// Added kurta (vendor A), then lamp (vendor B), then shawl (vendor A): shown as A's kurta and
// shawl, then B's lamp, then the line by product.
const cart: CartLine[] = [
  { sku: offer("sku_cl_kurta", "ven_cl_a", "Kurta"), qty: 1 },
  { sku: offer("sku_cl_lamp", "ven_cl_b", "Lamp"), qty: 2 },
  { sku: offer("sku_cl_shawl", "ven_cl_a", "Shawl"), qty: 3 },
];
const products: ProductLine[] = [{ product: product("prd_cl_tea", "Tea"), qty: 1 }];

/** The banner's list items for a problem, tags dropped, as the storefront shows it for `cart`. */
function banner(problem: Partial<ProblemBody> & { status: number }, postalCode = "560001") {
  const lineTitles = checkoutLines(cart, products).map((l) => l.title);
  const error = new ApiProblem(problem.status, {
    type: "about:blank",
    title: "Problem",
    detail: "",
    code: "X",
    requestId: "req_cl",
    ...problem,
  } as ProblemBody);
  const html = renderToStaticMarkup(createElement(ProblemBanner, { error, cart: { lineTitles, postalCode } }));
  return [...html.matchAll(/<li>(.*?)<\/li>/g)].map((m) => m[1]!.replace(/<[^>]+>/g, "").replace(/&#x27;/g, "'"));
}

describe("the checkout's lines follow the cart on screen", () => {
  it("are sent grouped by vendor as shown, the lines by product last", () => {
    const shown = vendorGroups(cart).flatMap((g) => g.lines.map((l) => l.sku.skuId));
    expect(shown).toEqual(["sku_cl_kurta", "sku_cl_shawl", "sku_cl_lamp"]);
    expect(checkoutLines(cart, products).map((l) => l.line)).toEqual([
      { skuId: "sku_cl_kurta", qty: 1 },
      { skuId: "sku_cl_shawl", qty: 3 },
      { skuId: "sku_cl_lamp", qty: 2 },
      { productId: "prd_cl_tea", qty: 1 },
    ]);
  });

  it("so a shortage or a field error on a line names the item the shopper sees", () => {
    expect(
      banner({
        status: 409,
        code: "OUT_OF_STOCK",
        shortages: [
          { lineIndex: 1, skuId: "sku_cl_shawl", requested: 3, available: 1 },
          { lineIndex: 3, productId: "prd_cl_tea", requested: 1, available: 0 },
        ],
      }),
    ).toEqual(["Shawl: asked for 3, 1 available", "Tea: asked for 1, 0 available"]);
    expect(banner({ status: 422, errors: [{ path: "lines.2.qty", message: "too many" }] })).toEqual(["Lamp: too many"]);
  });
});

describe("checkout problems in the shopper's words", () => {
  it("an unknown postal code asks for another address, not coordinates", () => {
    expect(
      banner(
        {
          status: 422,
          errors: [{ path: "shipTo.address.postalCode", message: "unknown postal code; send lat and lng" }],
        },
        "999999",
      ),
    ).toEqual(["We can't deliver to PIN code 999999 yet: check it, or use another address"]);
  });

  it("the order total's bound is the server's words, with no field path", () => {
    expect(banner({ status: 422, errors: [{ path: "lines", message: "the order total is too much" }] })).toEqual([
      "the order total is too much",
    ]);
  });
});
