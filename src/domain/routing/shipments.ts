import { haversineKm, type Point } from "../geo";
import { quoteShipping, type RateTable } from "../shipping";

/** One unit group of a cart line leaving one warehouse. */
export type ShipmentItem = {
  lineIndex: number;
  skuId: string;
  productId?: string;
  vendorId: string;
  warehouseId: string;
  qty: number;
  unitPriceMinor: number;
  weightGrams: number;
};

/** One parcel: everything a vendor sends from one warehouse for this order. */
export type Shipment = {
  vendorId: string;
  warehouseId: string;
  items: ShipmentItem[];
  weightGrams: number;
  distanceKm: number;
  shippingMinor: number;
  transitDays: number;
  rateCardId: string | null;
  /** epoch ms: the vendor's dispatch SLA from now */
  promisedDispatchBy: number;
  /** epoch ms: dispatch promise plus the rate card's transit days */
  promisedDeliveryBy: number;
};

export type ShipmentContext = {
  now: number;
  shipTo: Point;
  rates: RateTable;
  slaHours: (vendorId: string) => number;
  site: (warehouseId: string) => Point;
};

const HOUR_MS = 3_600_000;

/** Groups items into parcels per (vendor, warehouse) and prices each by its total weight. */
export function shipmentsOf(ctx: ShipmentContext, items: readonly ShipmentItem[]): Shipment[] {
  const groups = new Map<string, ShipmentItem[]>();
  for (const item of items) {
    const key = `${item.vendorId}\u0000${item.warehouseId}`;
    groups.set(key, [...(groups.get(key) ?? []), item]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, group]) => {
      const { vendorId, warehouseId } = group[0]!;
      const weightGrams = group.reduce((w, i) => w + i.qty * i.weightGrams, 0);
      const km = haversineKm(ctx.shipTo, ctx.site(warehouseId));
      const quote = quoteShipping(ctx.rates, { vendorId, km, weightGrams });
      const promisedDispatchBy = ctx.now + ctx.slaHours(vendorId) * HOUR_MS;
      return {
        vendorId,
        warehouseId,
        items: [...group].sort((a, b) => a.lineIndex - b.lineIndex || (a.skuId < b.skuId ? -1 : 1)),
        weightGrams,
        distanceKm: Math.round(km * 10) / 10,
        shippingMinor: quote.priceMinor,
        transitDays: quote.transitDays,
        rateCardId: quote.rateCardId,
        promisedDispatchBy,
        promisedDeliveryBy: promisedDispatchBy + quote.transitDays * 24 * HOUR_MS,
      };
    });
}

/** What each vendor's sub-order charges for shipping, and the latest delivery it promises. */
export function perVendor(shipments: readonly Shipment[]): Map<string, { shippingMinor: number; deliveryBy: number }> {
  const out = new Map<string, { shippingMinor: number; deliveryBy: number }>();
  for (const s of shipments) {
    const v = out.get(s.vendorId) ?? { shippingMinor: 0, deliveryBy: 0 };
    v.shippingMinor += s.shippingMinor;
    v.deliveryBy = Math.max(v.deliveryBy, s.promisedDeliveryBy);
    out.set(s.vendorId, v);
  }
  return out;
}
