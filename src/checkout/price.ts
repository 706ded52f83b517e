import { type OrderSplit, type PricedLine, splitOrder, type VendorTerms } from "../domain/order-split";
import { perVendor, type ShipmentItem, shipmentsOf } from "../domain/routing/shipments";
import { type PreparedCart, shipmentContext } from "../routing/cart";
import type { Held } from "./allocate";

export type Priced = {
  split: OrderSplit;
  /** Each vendor's parcels: what they cost by the rate cards and when they arrive. */
  parcels: ReadonlyMap<string, { shippingMinor: number; deliveryBy: number }>;
};

/**
 * The shopper pays the price read now (the stock is held), for the offer the stock went to, plus
 * each vendor's parcels by the rate cards. Fees are computed per sub-order by the domain's split.
 */
export function price(cart: PreparedCart, held: Held, now: Date): Priced {
  const skuById = new Map(held.skuRows.map((s) => [s.skuId, s]));
  const terms = new Map<string, VendorTerms>(
    held.skuRows.map((s) => [s.vendorId, { vendorId: s.vendorId, commissionBps: s.commissionBps }]),
  );
  const priced: PricedLine[] = [];
  const items: ShipmentItem[] = [];
  for (const r of held.plan.reservations) {
    const sku = skuById.get(r.skuId)!;
    const productId = cart.lines[r.lineIndex]!.productId;
    const allocs = held.allocations.get(r.skuId) ?? [];
    priced.push({
      lineIndex: r.lineIndex,
      skuId: r.skuId,
      ...(productId !== undefined ? { productId } : {}),
      vendorId: sku.vendorId,
      unitPriceMinor: sku.priceMinor,
      allocations: allocs,
    });
    for (const a of allocs) {
      items.push({
        lineIndex: r.lineIndex,
        skuId: r.skuId,
        vendorId: sku.vendorId,
        warehouseId: a.warehouseId,
        qty: a.qty,
        unitPriceMinor: sku.priceMinor,
        weightGrams: cart.offers.get(r.skuId)!.weightGrams,
      });
    }
  }
  const parcels = perVendor(shipmentsOf(shipmentContext(cart, now), items));
  const shipping = new Map([...parcels].map(([vendorId, p]) => [vendorId, p.shippingMinor]));
  return { split: splitOrder(priced, terms, shipping), parcels };
}
