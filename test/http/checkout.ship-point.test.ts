import { describe, expect, it } from "vitest";
import { ADMIN, api, newCustomer, uid } from "../support/api";
import { inr } from "../support/catalog";
import { meteredRequest } from "../support/invocation-budget";
import { BENGALURU, DELHI, stockedSku, stockOf } from "../support/marketplace";
import { east } from "./routing.fixtures";

// Each test imports its postal codes under a country of its own: the isolate keeps the codes it
// has looked up, and a real country's code could meet another test file's coordinates there.
let next = 0;
async function postalTable(rows: { code: string; at: { lat: number; lng: number } }[]) {
  next += 1;
  const country = `Q${String.fromCharCode(64 + next)}`;
  const csv = ["country,code,lat,lng", ...rows.map((r) => `${country},${r.code},${r.at.lat},${r.at.lng}`)].join("\n");
  const r = await api("POST", "/v1/admin/postal-codes", {
    token: ADMIN,
    rawBody: csv,
    headers: { "content-type": "text/csv" },
  });
  expect(r.body).toEqual({ imported: rows.length, rejected: [] });
  return country;
}

/** A vendor with one Bengaluru warehouse, charging 40.00 up to 50 km and 120.00 up to 2,000 km. */
async function bengaluruVendor() {
  const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 10 }] });
  for (const [maxKm, priceMinor, transitDays] of [
    [50, 4_000, 1],
    [2_000, 12_000, 4],
  ] as const) {
    const r = await api("POST", "/v1/rate-cards", {
      token: ADMIN,
      body: { vendorId: s.vendorId, maxKm, maxWeightGrams: 5_000, price: inr(priceMinor), transitDays },
    });
    expect(r.status).toBe(201);
  }
  return s;
}

const shipTo = (country: string, postalCode: string, at?: { lat: number; lng: number }) => ({
  name: "Asha Rao",
  address: { line1: "1 Janpath", city: "New Delhi", postalCode, country },
  ...(at ? { lat: at.lat, lng: at.lng } : {}),
});

/** Those postal codes, the Bengaluru vendor, a shopper and a cart of one of its unit. */
async function market(codes: { code: string; at: { lat: number; lng: number } }[]) {
  const country = await postalTable(codes);
  const s = await bengaluruVendor();
  const shopper = await newCustomer();
  return { country, s, shopper, lines: [{ skuId: s.skuId, qty: 1 }] };
}

describe("the shipping point at checkout and quote", () => {
  it("refuses coordinates far from a known postal code, naming the fields and the distance", async () => {
    const { country, s, shopper, lines } = await market([
      { code: "110001", at: DELHI },
      { code: "560001", at: BENGALURU },
    ]);
    const body = { lines, shipTo: shipTo(country, "110001", BENGALURU) };

    const placed = await api("POST", "/v1/checkout", {
      token: shopper.token,
      body,
      headers: { "Idempotency-Key": uid("idem-") },
    });
    expect(placed.status).toBe(422);
    expect(placed.headers.get("content-type")).toContain("application/problem+json");
    expect(placed.body.code).toBe("VALIDATION_FAILED");
    const message = `1,740 km from postal code 110001 (${country}); lat/lng must be within 100 km of it, or left out`;
    expect(placed.body.errors).toEqual([
      { path: "shipTo.lat", message },
      { path: "shipTo.lng", message },
    ]);
    expect((await stockOf(s.skuId)).totals).toMatchObject({ available: 10, held: 0 });

    const quoted = await api("POST", "/v1/routing/quote", { token: shopper.token, body });
    expect(quoted.status).toBe(422);
    expect(quoted.headers.get("content-type")).toContain("application/problem+json");
    expect(quoted.body.errors).toEqual(placed.body.errors);
  });

  it("charges by the postal code's distance band when the coordinates agree with it", async () => {
    const { country, shopper, lines } = await market([
      { code: "110001", at: DELHI },
      { code: "560001", at: BENGALURU },
    ]);
    const shippingOf = async (to: ReturnType<typeof shipTo>) => {
      const r = await api("POST", "/v1/routing/quote", { token: shopper.token, body: { lines, shipTo: to } });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return r.body.shipments[0].shipping;
    };
    // 30 km out from the code's point: a large PIN area, still the same city.
    expect(await shippingOf(shipTo(country, "110001", east(DELHI, 30)))).toEqual(inr(12_000));
    expect(await shippingOf(shipTo(country, "110001"))).toEqual(inr(12_000));
    expect(await shippingOf(shipTo(country, "560001", BENGALURU))).toEqual(inr(4_000));

    const placed = await api("POST", "/v1/checkout", {
      token: shopper.token,
      body: { lines, shipTo: shipTo(country, "110001", east(DELHI, 30)) },
      headers: { "Idempotency-Key": uid("idem-") },
    });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    expect(placed.body.order.subOrders[0].shipping).toEqual(inr(12_000));
  });

  it("takes coordinates as given for a postal code the table does not hold", async () => {
    const { country, shopper, lines } = await market([{ code: "110001", at: DELHI }]);
    const to = shipTo(country, "999999", BENGALURU);
    const quoted = await api("POST", "/v1/routing/quote", { token: shopper.token, body: { lines, shipTo: to } });
    expect(quoted.status).toBe(200);
    expect(quoted.body.shipments[0].shipping).toEqual(inr(4_000));
    const placed = await api("POST", "/v1/checkout", {
      token: shopper.token,
      body: { lines, shipTo: to },
      headers: { "Idempotency-Key": uid("idem-") },
    });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
  });

  it("reads a postal code from D1 once per isolate, known or not", async () => {
    const { country, shopper, lines } = await market([{ code: "110001", at: DELHI }]);
    const queries = async (to: ReturnType<typeof shipTo>) => {
      const r = await meteredRequest("POST", "/v1/routing/quote", {
        token: shopper.token,
        body: { lines, shipTo: to },
      });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return r.spend.queries;
    };
    const near = east(DELHI, 10);
    const known = [await queries(shipTo(country, "110001", near)), await queries(shipTo(country, "110001", near))];
    const unknown = [await queries(shipTo(country, "220001", near)), await queries(shipTo(country, "220001", near))];
    expect({ known, unknown }).toEqual({ known: [known[1]! + 1, known[1]], unknown: [known[1]! + 1, known[1]] });
  });
});
