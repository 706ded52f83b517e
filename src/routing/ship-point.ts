import type { FieldError } from "../contracts/common";
import type { ShipTo } from "../contracts/orders";
import type { Db } from "../db/client";
import { postalPoint } from "../db/ship-from";
import { setBounded } from "../domain/bounded-map";
import {
  isPoint,
  MAX_COORDINATES_FROM_POSTAL_CODE_KM,
  type Point,
  resolveShippingPoint,
  type ShippingPoint,
} from "../domain/geo";

// Checking coordinates against their postal code reads the code on every checkout that sends them;
// postalPoint keeps the codes the table holds per isolate, and this keeps the ones it does not, so
// a marketplace whose table covers only part of the country pays no D1 read for the rest either.
// A remembered miss is trusted only beside coordinates, where it merely leaves them unchecked for a
// few minutes after an import adds the code: a shopper who sent none still reads it fresh.
const MISS_TTL_MS = 300_000;
const MAX_MISSES = 50_000;
const misses = new Map<string, number>();

async function cachedPoint(db: Db, country: string, code: string, trustMiss: boolean): Promise<Point | null> {
  const key = `${country}:${code}`;
  if (trustMiss && (misses.get(key) ?? 0) > Date.now()) return null;
  const point = await postalPoint(db, country, code);
  if (point) misses.delete(key);
  else setBounded(misses, key, Date.now() + MISS_TTL_MS, MAX_MISSES);
  return point;
}

/** Where a cart ships to: its coordinates when they agree with its postal code, else the code's point. */
export function shippingPointOf(db: Db, shipTo: ShipTo): Promise<ShippingPoint> {
  const trustMiss = isPoint(shipTo);
  return resolveShippingPoint(
    { lat: shipTo.lat, lng: shipTo.lng, country: shipTo.address.country, postalCode: shipTo.address.postalCode },
    (country, code) => cachedPoint(db, country, code, trustMiss),
    { coordinatesWithinKm: MAX_COORDINATES_FROM_POSTAL_CODE_KM },
  );
}

/** A refused shipping point as the checkout body's field errors. */
export function shipToErrors(refused: Extract<ShippingPoint, { ok: false }>): FieldError[] {
  if (refused.code === "UNKNOWN_POSTAL_CODE") {
    return [{ path: "shipTo.address.postalCode", message: "unknown postal code; send lat and lng" }];
  }
  const message =
    `${Math.round(refused.distanceKm).toLocaleString("en")} km from postal code ${refused.postalCode} ` +
    `(${refused.country}); lat/lng must be within ${refused.maxKm} km of it, or left out`;
  return [
    { path: "shipTo.lat", message },
    { path: "shipTo.lng", message },
  ];
}
