import { describe, expect, it } from "vitest";
import {
  byDistance,
  haversineKm,
  normalizePostalCode,
  type Point,
  type PostalCodeLookup,
  resolveShippingPoint,
} from "../../src/domain/geo";

const delhi: Point = { lat: 28.6139, lng: 77.209 };
const mumbai: Point = { lat: 19.076, lng: 72.8777 };
const bengaluru: Point = { lat: 12.9716, lng: 77.5946 };
const chennai: Point = { lat: 13.0827, lng: 80.2707 };
const kolkata: Point = { lat: 22.5726, lng: 88.3639 };
const london: Point = { lat: 51.5074, lng: -0.1278 };
const paris: Point = { lat: 48.8566, lng: 2.3522 };

describe("haversineKm", () => {
  it.each([
    ["Delhi", delhi, "Mumbai", mumbai, 1148],
    ["Bengaluru", bengaluru, "Chennai", chennai, 291],
    ["Delhi", delhi, "Kolkata", kolkata, 1305],
    ["Mumbai", mumbai, "Bengaluru", bengaluru, 845],
    ["London", london, "Paris", paris, 344],
  ])("%s to %s is about %i km", (_a, a, _b, b, km) => {
    expect(haversineKm(a, b)).toBeGreaterThan(km * 0.99);
    expect(haversineKm(a, b)).toBeLessThan(km * 1.01);
  });

  it("is zero for a point and itself, symmetric, and half the circumference for antipodes", () => {
    expect(haversineKm(delhi, delhi)).toBe(0);
    expect(haversineKm(delhi, mumbai)).toBeCloseTo(haversineKm(mumbai, delhi), 9);
    expect(haversineKm({ lat: 0, lng: 0 }, { lat: 0, lng: 180 })).toBeCloseTo(Math.PI * 6371.0088, 6);
    expect(haversineKm({ lat: 90, lng: 0 }, { lat: -90, lng: 0 })).toBeCloseTo(Math.PI * 6371.0088, 6);
  });

  it("crosses the antimeridian the short way", () => {
    expect(haversineKm({ lat: 0, lng: 179.5 }, { lat: 0, lng: -179.5 })).toBeCloseTo(111.19, 1);
  });

  it("gives about 111 km per degree of latitude", () => {
    expect(haversineKm({ lat: 10, lng: 77 }, { lat: 11, lng: 77 })).toBeCloseTo(111.19, 1);
  });
});

describe("byDistance", () => {
  it("orders places nearest first and keeps input order on ties", () => {
    const places = [
      { id: "mum", ...mumbai },
      { id: "blr", ...bengaluru },
      { id: "blr2", ...bengaluru },
      { id: "del", ...delhi },
    ];
    const sorted = byDistance(chennai, places);
    expect(sorted.map((p) => p.id)).toEqual(["blr", "blr2", "mum", "del"]);
    expect(sorted[0]!.distanceKm).toBeCloseTo(haversineKm(chennai, bengaluru), 9);
  });
});

describe("resolveShippingPoint", () => {
  const table = new Map([["IN 560034", { lat: 12.9352, lng: 77.6245 }]]);
  const calls: string[] = [];
  const lookup: PostalCodeLookup = async (country, code) => {
    calls.push(`${country} ${code}`);
    return table.get(`${country} ${code}`) ?? null;
  };

  it("prefers the coordinates given", async () => {
    const r = await resolveShippingPoint({ lat: 1.5, lng: 2.5, country: "IN", postalCode: "560034" }, lookup);
    expect(r).toEqual({ ok: true, point: { lat: 1.5, lng: 2.5 }, source: "coordinates" });
  });

  it("falls back to the postal code, normalized, when coordinates are missing or partial", async () => {
    calls.length = 0;
    const r = await resolveShippingPoint({ lat: 12, lng: null, country: " in", postalCode: " 560034 " }, lookup);
    expect(r).toEqual({ ok: true, point: { lat: 12.9352, lng: 77.6245 }, source: "postal_code" });
    expect(calls).toEqual(["IN 560034"]);
  });

  it("reports an unknown postal code as a value", async () => {
    const r = await resolveShippingPoint({ country: "IN", postalCode: "999999" }, lookup);
    expect(r).toEqual({ ok: false, code: "UNKNOWN_POSTAL_CODE", country: "IN", postalCode: "999999" });
  });

  it("ignores out-of-range coordinates", async () => {
    const r = await resolveShippingPoint({ lat: 95, lng: 10, country: "IN", postalCode: "560034" }, lookup);
    expect(r.ok && r.source).toBe("postal_code");
  });
});

describe("normalizePostalCode", () => {
  it("upper-cases and collapses spaces", () => {
    expect(normalizePostalCode("  sw1a   1aa ")).toBe("SW1A 1AA");
    expect(normalizePostalCode("560034")).toBe("560034");
  });
});
