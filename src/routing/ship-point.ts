import type { FieldError } from "../contracts/common";
import type { ShipTo } from "../contracts/orders";
import type { Db } from "../db/client";
import { postalPoint } from "../db/ship-from";
import { isPoint, MAX_COORDINATES_FROM_POSTAL_CODE_KM, resolveShippingPoint, type ShippingPoint } from "../domain/geo";

/** Where a cart ships to: its coordinates when they agree with its postal code, else the code's point. */
export function shippingPointOf(db: Db, shipTo: ShipTo): Promise<ShippingPoint> {
  const trustMiss = isPoint(shipTo);
  return resolveShippingPoint(
    { lat: shipTo.lat, lng: shipTo.lng, country: shipTo.address.country, postalCode: shipTo.address.postalCode },
    (country, code) => postalPoint(db, country, code, { trustMiss }),
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
