import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { ApiProblem } from "../../web/src/api";
import { ProblemBanner } from "../../web/src/components/ProblemBanner";

/** The banner's text for a 409 OUT_OF_STOCK with these shortages, tags dropped. */
function bannerText(
  shortages: { lineIndex: number; skuId?: string; productId?: string; requested: number; available: number }[],
) {
  const problem = new ApiProblem(409, {
    type: "about:blank",
    title: "Out of stock",
    status: 409,
    detail: "Some lines cannot be covered now",
    code: "OUT_OF_STOCK",
    requestId: "req_pb",
    shortages,
  } as ConstructorParameters<typeof ApiProblem>[1]);
  const html = renderToStaticMarkup(createElement(ProblemBanner, { error: problem }));
  return [...html.matchAll(/<li>(.*?)<\/li>/g)].map((m) => m[1]!.replace(/<[^>]+>/g, ""));
}

describe("an out-of-stock banner", () => {
  it("names each short line, whether the cart named a SKU or a product", () => {
    expect(
      bannerText([
        // A line by product (src/domain/routing/assign.ts): no SKU yet, only the product.
        { lineIndex: 0, productId: "prd_pb_1", requested: 3, available: 1 },
        // A line by SKU.
        { lineIndex: 1, skuId: "sku_pb_3", requested: 5, available: 4 },
        // A line by product whose offer ran short at checkout: the product and the offer it got.
        { lineIndex: 2, productId: "prd_pb_2", skuId: "sku_pb_2", requested: 2, available: 0 },
      ]),
    ).toEqual([
      "Line 1 (product prd_pb_1): asked for 3, 1 available",
      "Line 2 (sku_pb_3): asked for 5, 4 available",
      "Line 3 (product prd_pb_2, offer sku_pb_2): asked for 2, 0 available",
    ]);
  });
});
