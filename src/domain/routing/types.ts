import type { Point } from "../geo";
import type { RateTable } from "../shipping";
import type { FactorScores, RoutingWeights, VendorScore } from "./weights";

/**
 * A cart line: exactly one of `skuId` (that offer) or `productId` (any of its offers, which are all
 * one item: checkout refuses a product of several variants by productId, see `oneItem`).
 */
export type RouteLine = { lineIndex: number; qty: number; skuId?: string; productId?: string };

/** One vendor's SKU of a product, as routing sees it. */
export type Offer = {
  skuId: string;
  productId: string;
  vendorId: string;
  unitPriceMinor: number;
  weightGrams: number;
};

export type VendorInfo = {
  vendorId: string;
  dispatchSlaHours: number;
  hourlyCapacity: number;
  /** Its sub-orders created this clock hour and not cancelled; null when not counted (yet). */
  ordersThisHour: number | null;
  score: VendorScore;
};

export type Site = Point & { warehouseId: string; vendorId: string };

/** Exact availability per SKU and warehouse, from the stock objects. A SKU absent here is unknown. */
export type Availability = ReadonlyMap<string, ReadonlyMap<string, number>>;

export type RoutingRequest = {
  /** epoch ms */
  now: number;
  shipTo: Point;
  weightsVersion: number;
  weights: RoutingWeights;
  lines: readonly RouteLine[];
  /** Every offer any line may use: the named SKU of a SKU line, every active offer of a product line. */
  offers: readonly Offer[];
  vendors: readonly VendorInfo[];
  /** Active warehouses of the offers' vendors. */
  sites: readonly Site[];
  rates: RateTable;
  availability: Availability;
};

export type Exclusion = "vendor_at_capacity" | "no_stock";

export type Candidate = {
  lineIndex: number;
  skuId: string;
  vendorId: string;
  warehouseId: string;
  unitPriceMinor: number;
  distanceKm: number;
  /** Shipping of this line alone from here (the cost factor compares lines, not parcels). */
  shippingMinor: number;
  transitDays: number;
  /** Dispatch SLA plus transit: the promise this candidate lets the shop make. */
  windowHours: number;
  /** Units this warehouse can give; null when not read (the stock object decides at reservation). */
  available: number | null;
  excluded: Exclusion | null;
  /** Within the line's cost bound (see RoutingWeights.costBound). */
  withinCostBound: boolean;
  scores: FactorScores;
  total: number;
};

export type Allocation = { skuId: string; vendorId: string; warehouseId: string; qty: number };

export type LineDecision = {
  lineIndex: number;
  qty: number;
  skuId?: string;
  productId?: string;
  /** Eligible candidates in preference order, then the excluded ones. */
  candidates: Candidate[];
  /** What the plan assigns: one allocation, or several when no single warehouse covers the line. */
  allocations: Allocation[];
  how: "best" | "grouped" | "split" | "unknown_stock";
  /** The line's own first choice when it was grouped elsewhere. */
  preferred?: Candidate;
  /** Other lines sharing the chosen parcel. */
  sharedWith?: number[];
};

export type Shortage = { lineIndex: number; skuId?: string; productId?: string; requested: number; available: number };

/** One reservation per SKU: the units and the warehouse order its stock object allocates by. */
export type Reservation = { skuId: string; lineIndex: number; qty: number; warehouses: string[] };

export type RoutePlan =
  | {
      ok: true;
      weightsVersion: number;
      lines: LineDecision[];
      reservations: Reservation[];
      /** The cart's promise in hours from now (the slowest shipment's window). */
      windowHours: number;
    }
  | { ok: false; shortages: Shortage[]; lines: LineDecision[] };
