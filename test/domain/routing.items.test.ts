import { describe, expect, it } from "vitest";
import { oneItem, type ProductSku } from "../../src/domain/routing/candidates";

const sku = (skuId: string, vendorId: string, barcode: string): ProductSku => ({
  skuId,
  vendorId,
  productId: "prd_i",
  barcode,
});
const offersOf = (skus: ProductSku[], ids: string[]) => skus.filter((s) => ids.includes(s.skuId));

describe("the offers of a product line are one item", () => {
  it("never when one vendor offers two SKUs of it (two sizes)", () => {
    const skus = [sku("m", "ven_a", "111"), sku("l", "ven_a", "222")];
    expect(oneItem(offersOf(skus, ["m", "l"]), skus)).toBe(false);
    expect(oneItem(offersOf(skus, ["m"]), skus)).toBe(true);
  });

  it("when vendors that each list it once offer it, whatever their barcodes", () => {
    const skus = [sku("a", "ven_a", "111"), sku("b", "ven_b", "999")];
    expect(oneItem(skus, skus)).toBe(true);
  });

  it("by GTIN where a vendor lists several variants, counting its paused ones", () => {
    const skus = [sku("a", "ven_a", "111"), sku("b1", "ven_b", "111"), sku("b2", "ven_b", "222")];
    expect(oneItem(offersOf(skus, ["a", "b1"]), skus)).toBe(true);
    expect(oneItem(offersOf(skus, ["a", "b2"]), skus)).toBe(false);
    expect(oneItem(skus, skus)).toBe(false);
  });

  it("by GTIN between vendors that list it once each, when another vendor lists it in sizes", () => {
    const skus = [
      sku("m", "ven_a", "111"),
      sku("l", "ven_a", "222"),
      sku("x", "ven_x", "111"),
      sku("y", "ven_y", "222"),
    ];
    expect(oneItem(offersOf(skus, ["x", "y"]), skus)).toBe(false);
    expect(oneItem(offersOf(skus, ["m", "x"]), skus)).toBe(true);
  });
});
