export type Point = { lat: number; lng: number };

// The IUGG mean Earth radius. A sphere is off by up to ~0.5% against the ellipsoid, far
// below what separates one warehouse from another when ranking them.
const EARTH_RADIUS_KM = 6371.0088;

const rad = (deg: number) => (deg * Math.PI) / 180;

/** Great-circle distance in km between two points given in decimal degrees. */
export function haversineKm(a: Point, b: Point): number {
  const dLat = rad(b.lat - a.lat);
  const dLng = rad(b.lng - a.lng);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLng / 2) ** 2;
  // min() guards asin against rounding just above 1 for antipodal points.
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Nearest first; ties keep their input order, so callers can pre-sort by a secondary key. */
export function byDistance<T extends Point>(from: Point, places: readonly T[]): (T & { distanceKm: number })[] {
  return places
    .map((p, i) => ({ p: { ...p, distanceKm: haversineKm(from, p) }, i }))
    .sort((x, y) => x.p.distanceKm - y.p.distanceKm || x.i - y.i)
    .map((x) => x.p);
}

export function isPoint(p: { lat?: number | null; lng?: number | null }): p is Point {
  return (
    typeof p.lat === "number" &&
    typeof p.lng === "number" &&
    Number.isFinite(p.lat) &&
    Number.isFinite(p.lng) &&
    Math.abs(p.lat) <= 90 &&
    Math.abs(p.lng) <= 180
  );
}

/** How a postal code is shown and kept on an address: upper case, single inner spaces. */
export function normalizePostalCode(code: string): string {
  return code.trim().replace(/\s+/g, " ").toUpperCase();
}

const DECIMAL_DIGIT = /\p{Nd}/u;

/**
 * A decimal digit of any script as its ASCII digit. Unicode encodes each script's digits as a
 * contiguous run from 0 to 9, and runs that touch (the mathematical digits) are whole runs of ten,
 * so a digit's value is its distance from the start of its stretch of digits, modulo 10.
 */
function asciiDigit(digit: string): string {
  const at = digit.codePointAt(0)!;
  let start = at;
  while (DECIMAL_DIGIT.test(String.fromCodePoint(start - 1))) start -= 1;
  return String((at - start) % 10);
}

/**
 * The one spelling postal codes are stored and looked up in, so "560 034", "560-034" and
 * "५६००३४" are one code: compatibility forms folded (NFKC), every script's digits as ASCII,
 * spaces and dashes dropped, upper case.
 */
export function postalCodeKey(code: string): string {
  return code
    .normalize("NFKC")
    .replace(/\p{Nd}/gu, asciiDigit)
    .replace(/[\s\p{Pd}]/gu, "")
    .toUpperCase();
}

export function normalizeCountry(country: string): string {
  return country.trim().toUpperCase();
}

/** Takes a code as postalCodeKey spells it. */
export type PostalCodeLookup = (country: string, code: string) => Promise<Point | null>;

/**
 * How far a shopper's coordinates may lie from their postal code's point in the postal-code table.
 * The parcel goes to the postal address, while the point prices its shipping by distance band and
 * ranks the warehouses; coordinates elsewhere would buy a nearer band than the courier will carry.
 * The table holds one point per code and a rural PIN area is tens of km across, so the bound is
 * loose: it lets a shopper shade the distance by up to 100 km (a parcel near a band's edge may
 * cross it), never pass a 1,700 km parcel off as a local one.
 */
export const MAX_COORDINATES_FROM_POSTAL_CODE_KM = 100;

export type ShippingPoint =
  | { ok: true; point: Point; source: "coordinates" | "postal_code" }
  | { ok: false; code: "UNKNOWN_POSTAL_CODE"; country: string; postalCode: string }
  | {
      ok: false;
      code: "COORDINATES_FAR_FROM_POSTAL_CODE";
      country: string;
      postalCode: string;
      distanceKm: number;
      maxKm: number;
    };

/**
 * Where a parcel goes: the coordinates the shopper gave, else its postal code's entry in the
 * postal-code table. Both lat and lng must be present for coordinates to win. With
 * `coordinatesWithinKm`, coordinates farther than that from their postal code's entry are refused;
 * a code the table does not hold cannot be checked, and its coordinates stand. Without it (a
 * warehouse placed by its vendor) the coordinates are taken as given and the table is not read.
 */
export async function resolveShippingPoint(
  to: { lat?: number | null; lng?: number | null; country: string; postalCode: string },
  lookup: PostalCodeLookup,
  opts: { coordinatesWithinKm?: number } = {},
): Promise<ShippingPoint> {
  const country = normalizeCountry(to.country);
  const postalCode = normalizePostalCode(to.postalCode);
  const key = postalCodeKey(to.postalCode);
  if (isPoint(to)) {
    const point = { lat: to.lat, lng: to.lng };
    const maxKm = opts.coordinatesWithinKm;
    if (maxKm === undefined) return { ok: true, point, source: "coordinates" };
    const listed = await lookup(country, key);
    const distanceKm = listed ? haversineKm(point, listed) : 0;
    if (distanceKm > maxKm) {
      return { ok: false, code: "COORDINATES_FAR_FROM_POSTAL_CODE", country, postalCode, distanceKm, maxKm };
    }
    return { ok: true, point, source: "coordinates" };
  }
  const point = await lookup(country, key);
  if (!point) return { ok: false, code: "UNKNOWN_POSTAL_CODE", country, postalCode };
  return { ok: true, point, source: "postal_code" };
}
