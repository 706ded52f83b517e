import { describe, expect, it } from "vitest";
import {
  byDistance,
  haversineKm,
  MAX_COORDINATES_FROM_POSTAL_CODE_KM,
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

  describe("with coordinates checked against the postal code", () => {
    const table2 = new Map([
      ["IN 110001", delhi],
      ["IN 560034", { lat: 12.9352, lng: 77.6245 }],
    ]);
    const lookup2: PostalCodeLookup = async (country, code) => table2.get(`${country} ${code}`) ?? null;
    const within = { coordinatesWithinKm: MAX_COORDINATES_FROM_POSTAL_CODE_KM };

    it("refuses Bengaluru's coordinates on a Delhi postal code, with the distance", async () => {
      const r = await resolveShippingPoint({ ...bengaluru, country: "in", postalCode: " 110001" }, lookup2, within);
      expect(r).toEqual({
        ok: false,
        code: "COORDINATES_FAR_FROM_POSTAL_CODE",
        country: "IN",
        postalCode: "110001",
        distanceKm: haversineKm(bengaluru, delhi),
        maxKm: 100,
      });
      expect(r.ok === false && r.code === "COORDINATES_FAR_FROM_POSTAL_CODE" && r.distanceKm).toBeGreaterThan(1_700);
    });

    it("keeps coordinates inside the bound, the edge included, over the postal code's point", async () => {
      const near = { lat: delhi.lat + 0.5, lng: delhi.lng }; // about 56 km north
      expect(await resolveShippingPoint({ ...near, country: "IN", postalCode: "110001" }, lookup2, within)).toEqual({
        ok: true,
        point: near,
        source: "coordinates",
      });
      const edge = await resolveShippingPoint({ ...delhi, country: "IN", postalCode: "110001" }, lookup2, {
        coordinatesWithinKm: 0,
      });
      expect(edge.ok).toBe(true);
      const past = { lat: delhi.lat + 1, lng: delhi.lng }; // about 111 km north
      const r = await resolveShippingPoint({ ...past, country: "IN", postalCode: "110001" }, lookup2, within);
      expect(r.ok).toBe(false);
    });

    it("keeps any coordinates for a postal code the table does not hold", async () => {
      const r = await resolveShippingPoint({ ...bengaluru, country: "IN", postalCode: "999999" }, lookup2, within);
      expect(r).toEqual({ ok: true, point: bengaluru, source: "coordinates" });
    });

    it("still falls back to the postal code, or reports it unknown, without coordinates", async () => {
      expect(await resolveShippingPoint({ country: "IN", postalCode: "110001" }, lookup2, within)).toEqual({
        ok: true,
        point: delhi,
        source: "postal_code",
      });
      expect((await resolveShippingPoint({ country: "IN", postalCode: "999999" }, lookup2, within)).ok).toBe(false);
    });

    it("reads no table without the bound: the coordinates are taken as given", async () => {
      calls.length = 0;
      const r = await resolveShippingPoint({ ...bengaluru, country: "IN", postalCode: "560034" }, lookup);
      expect(r).toEqual({ ok: true, point: bengaluru, source: "coordinates" });
      expect(calls).toEqual([]);
    });
  });
});

describe("normalizePostalCode", () => {
  it("upper-cases and collapses spaces", () => {
    expect(normalizePostalCode("  sw1a   1aa ")).toBe("SW1A 1AA");
    expect(normalizePostalCode("560034")).toBe("560034");
  });
});
