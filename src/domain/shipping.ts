/** Shipping prices from rate cards: a card prices one parcel up to a distance and a weight. */

export type RateCard = {
  id: string;
  /** null: the platform's card, used for vendors that have none of their own */
  vendorId: string | null;
  maxKm: number;
  maxWeightGrams: number;
  priceMinor: number;
  transitDays: number;
};

export type ShippingQuote = {
  priceMinor: number;
  transitDays: number;
  /** The card applied; null when no card applies (free, transit estimated from distance). */
  rateCardId: string | null;
  /** Parcels of the card's weight band this shipment needs (more than 1 only beyond the heaviest band). */
  parcels: number;
};

type Band = { maxKm: number; cards: RateCard[] };

/** Cards grouped for lookup: per vendor (and the platform's), distance bands ascending, weights ascending. */
export type RateTable = { byVendor: ReadonlyMap<string, Band[]>; platform: Band[] };

const PLATFORM = "";

function bandsOf(cards: readonly RateCard[]): Band[] {
  const byKm = new Map<number, RateCard[]>();
  for (const c of cards) byKm.set(c.maxKm, [...(byKm.get(c.maxKm) ?? []), c]);
  return [...byKm.entries()]
    .sort(([a], [b]) => a - b)
    .map(([maxKm, list]) => ({
      maxKm,
      // Ties on weight keep the cheaper card first, then the id, so a lookup is deterministic.
      cards: [...list].sort(
        (a, b) => a.maxWeightGrams - b.maxWeightGrams || a.priceMinor - b.priceMinor || (a.id < b.id ? -1 : 1),
      ),
    }));
}

export function rateTable(cards: readonly RateCard[]): RateTable {
  const grouped = new Map<string, RateCard[]>();
  for (const c of cards) {
    const key = c.vendorId ?? PLATFORM;
    grouped.set(key, [...(grouped.get(key) ?? []), c]);
  }
  const byVendor = new Map<string, Band[]>();
  for (const [key, list] of grouped) if (key !== PLATFORM) byVendor.set(key, bandsOf(list));
  return { byVendor, platform: bandsOf(grouped.get(PLATFORM) ?? []) };
}

/**
 * Without any card, a parcel ships free and takes a day plus a day per 600 km: roughly what
 * surface couriers promise between Indian metros, and enough to tell near from far.
 */
export function estimatedTransitDays(km: number): number {
  return 1 + Math.floor(Math.max(0, km) / 600);
}

/**
 * The price and transit of one parcel of `weightGrams` over `km` from a vendor's warehouse: the
 * vendor's own cards if it has any, else the platform's. The smallest distance band that reaches
 * `km` applies (beyond the last band, the last one); within it the lightest weight band that
 * holds the parcel. Heavier than every band: several parcels of the heaviest band.
 */
export function quoteShipping(
  table: RateTable,
  input: { vendorId: string; km: number; weightGrams: number },
): ShippingQuote {
  const bands = table.byVendor.get(input.vendorId) ?? table.platform;
  if (bands.length === 0) {
    return { priceMinor: 0, transitDays: estimatedTransitDays(input.km), rateCardId: null, parcels: 1 };
  }
  const band = bands.find((b) => b.maxKm >= input.km) ?? bands[bands.length - 1]!;
  const fits = band.cards.find((c) => c.maxWeightGrams >= input.weightGrams);
  if (fits) return { priceMinor: fits.priceMinor, transitDays: fits.transitDays, rateCardId: fits.id, parcels: 1 };
  const heaviest = band.cards[band.cards.length - 1]!;
  const parcels = Math.ceil(input.weightGrams / heaviest.maxWeightGrams);
  return {
    priceMinor: heaviest.priceMinor * parcels,
    transitDays: heaviest.transitDays,
    rateCardId: heaviest.id,
    parcels,
  };
}
