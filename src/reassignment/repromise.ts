import type { Db } from "../db/client";
import type { LineItemRow, SubOrderRow } from "../db/orders";
import { offersByIds, warehouseSites } from "../db/routing";
import { sumMinor } from "../domain/money";
import { perVendor, type ShipmentItem, shipmentsOf } from "../domain/routing/shipments";
import { isoSeconds } from "../domain/time";
import { routingModel } from "../routing/model";
import type { Subject } from "./load";
import type { Rewrite } from "./rewrite";

/**
 * Parcels before and after, by the rate cards: the source's and target's delivery promise is
 * re-made from the parcels after the move, and the platform's cost is the shipping difference plus
 * any difference in offer price (the shopper's price never changes). Sets the promises on `rewrite`.
 */
export async function repromise(env: Env, db: Db, { agg }: Subject, rewrite: Rewrite, now: Date): Promise<number> {
  const { items, subs, source, target } = rewrite;
  const [skuRows, sites, model] = await Promise.all([
    offersByIds(db, [...new Set([...items.values()].map((l) => l.skuId))]),
    warehouseSites(
      db,
      [...items.values()].map((l) => l.warehouseId),
    ),
    routingModel(env, now),
  ]);
  const weight = new Map(skuRows.map((s) => [s.skuId, s.weightGrams]));
  const sla = new Map(skuRows.map((s) => [s.vendorId, s.dispatchSlaHours]));
  const site = new Map(sites.map((s) => [s.warehouseId, s]));
  const ctx = {
    now: now.getTime(),
    shipTo: { lat: agg.order.shipLat, lng: agg.order.shipLng },
    rates: model.rates,
    slaHours: (vendorId: string) => sla.get(vendorId) ?? 0,
    site: (warehouseId: string) => site.get(warehouseId)!,
  };
  const parcels = (lines: Iterable<LineItemRow>, subOf: Map<string, SubOrderRow>) =>
    shipmentsOf(
      ctx,
      [...lines].flatMap((l): ShipmentItem[] => {
        const s = subOf.get(l.subOrderId);
        if (!s || s.status === "cancelled" || l.qty === 0) return [];
        return [
          {
            lineIndex: l.lineIndex,
            skuId: l.skuId,
            vendorId: s.vendorId,
            warehouseId: l.warehouseId,
            qty: l.qty,
            unitPriceMinor: l.unitPriceMinor,
            weightGrams: weight.get(l.skuId) ?? 500,
          },
        ];
      }),
    );
  const before = parcels(agg.lines, new Map(agg.subOrders.map((s) => [s.id, s])));
  const after = parcels(items.values(), subs);
  const promises = perVendor(after);
  for (const s of [source, target]) {
    const p = promises.get(s.vendorId);
    if (p && s.status !== "cancelled") s.promisedDeliveryBy = isoSeconds(p.deliveryBy);
  }
  return (
    rewrite.priceDifference + sumMinor(after.map((s) => s.shippingMinor)) - sumMinor(before.map((s) => s.shippingMinor))
  );
}
