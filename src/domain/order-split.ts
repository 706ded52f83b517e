import { basisPointsOf, sumMinor } from "./money";

export type PricedLine = {
  lineIndex: number;
  skuId: string;
  /** Set for a product line: the product the shopper asked for, whose offer routing chose. */
  productId?: string;
  vendorId: string;
  unitPriceMinor: number;
  allocations: { warehouseId: string; qty: number }[];
};

export type VendorTerms = { vendorId: string; commissionBps: number };

export type SplitLine = {
  lineIndex: number;
  skuId: string;
  productId: string | null;
  warehouseId: string;
  qty: number;
  unitPriceMinor: number;
  lineTotalMinor: number;
};

export type SplitSubOrder = {
  vendorId: string;
  commissionBps: number;
  subtotalMinor: number;
  shippingMinor: number;
  totalMinor: number;
  commissionMinor: number;
  lines: SplitLine[];
};

export type OrderSplit = { totalMinor: number; subOrders: SplitSubOrder[] };

/**
 * One sub-order per vendor, one line item per (cart line, warehouse) allocation. Fees are computed
 * per sub-order and the parent only sums, so the parent total always equals the sum of its parts.
 * `shippingMinor` is what each vendor's parcels cost by the rate cards (routing prices them);
 * commission is taken on the goods only.
 */
export function splitOrder(
  lines: readonly PricedLine[],
  terms: ReadonlyMap<string, VendorTerms>,
  shippingMinor: ReadonlyMap<string, number> = new Map(),
): OrderSplit {
  const byVendor = new Map<string, SplitLine[]>();
  for (const line of lines) {
    const bucket = byVendor.get(line.vendorId) ?? [];
    for (const a of line.allocations) {
      bucket.push({
        lineIndex: line.lineIndex,
        skuId: line.skuId,
        productId: line.productId ?? null,
        warehouseId: a.warehouseId,
        qty: a.qty,
        unitPriceMinor: line.unitPriceMinor,
        lineTotalMinor: a.qty * line.unitPriceMinor,
      });
    }
    byVendor.set(line.vendorId, bucket);
  }
  const subOrders = [...byVendor.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([vendorId, vendorLines]): SplitSubOrder => {
      const vendor = terms.get(vendorId);
      if (!vendor) throw new Error(`no terms for vendor ${vendorId}`);
      const subtotalMinor = sumMinor(vendorLines.map((l) => l.lineTotalMinor));
      const shipping = shippingMinor.get(vendorId) ?? 0;
      return {
        vendorId,
        commissionBps: vendor.commissionBps,
        subtotalMinor,
        shippingMinor: shipping,
        totalMinor: subtotalMinor + shipping,
        commissionMinor: basisPointsOf(subtotalMinor, vendor.commissionBps),
        lines: vendorLines,
      };
    });
  return { totalMinor: sumMinor(subOrders.map((s) => s.totalMinor)), subOrders };
}
