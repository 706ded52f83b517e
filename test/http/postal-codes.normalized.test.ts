import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, api, newCustomer, uid } from "../support/api";
import { inr } from "../support/catalog";
import { BENGALURU, MUMBAI, stockedSku } from "../support/marketplace";

// Each test imports its postal codes under a country of its own: the isolate keeps the codes it
// has looked up, and a shared country's code could meet another test's coordinates there.
let next = 0;
async function postalTable(csvRows: string[]) {
  next += 1;
  const country = `W${String.fromCharCode(64 + next)}`;
  const csv = ["country,code,lat,lng", ...csvRows.map((r) => `${country},${r}`)].join("\n");
  const r = await api("POST", "/v1/admin/postal-codes", {
    token: ADMIN,
    rawBody: csv,
    headers: { "content-type": "text/csv" },
  });
  expect(r.status).toBe(200);
  return { country, imported: r.body };
}

/** A shopper and a cart of one unit from a Bengaluru warehouse shipping up to 2,000 km. */
async function bengaluruCart() {
  const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 10 }] });
  const card = await api("POST", "/v1/rate-cards", {
    token: ADMIN,
    body: { vendorId: s.vendorId, maxKm: 2_000, maxWeightGrams: 5_000, price: inr(12_000), transitDays: 4 },
  });
  expect(card.status).toBe(201);
  return { shopper: await newCustomer(), lines: [{ skuId: s.skuId, qty: 1 }] };
}

const shipTo = (country: string, postalCode: string, at?: { lat: number; lng: number }) => ({
  name: "Asha Rao",
  address: { line1: "4th Block", city: "Bengaluru", postalCode, country },
  ...(at ? { lat: at.lat, lng: at.lng } : {}),
});

describe("postal codes spelled as shoppers type them", () => {
  it("finds 560034 when the shopper types 560 034, 560-034 or Devanagari digits, without coordinates", async () => {
    const { country } = await postalTable(["560034,12.93,77.62"]);
    const { shopper, lines } = await bengaluruCart();
    for (const typed of ["560 034", "560-034", "५६००३४"]) {
      const quoted = await api("POST", "/v1/routing/quote", {
        token: shopper.token,
        body: { lines, shipTo: shipTo(country, typed) },
      });
      expect(quoted.status, `${typed}: ${JSON.stringify(quoted.body)}`).toBe(200);
    }
    const placed = await api("POST", "/v1/checkout", {
      token: shopper.token,
      body: { lines, shipTo: shipTo(country, "560 034") },
      headers: { "Idempotency-Key": uid("idem-") },
    });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    // The order keeps the address as the shopper wrote it.
    expect(placed.body.order.shipTo.address.postalCode).toBe("560 034");
  });

  it("refuses coordinates 850 km from 560 034 as it does from 560034", async () => {
    const { country } = await postalTable(["560034,12.93,77.62"]);
    const { shopper, lines } = await bengaluruCart();
    for (const typed of ["560 034", "५६००३४"]) {
      const body = { lines, shipTo: shipTo(country, typed, MUMBAI) };
      const placed = await api("POST", "/v1/checkout", {
        token: shopper.token,
        body,
        headers: { "Idempotency-Key": uid("idem-") },
      });
      expect(placed.status, `${typed}: ${JSON.stringify(placed.body)}`).toBe(422);
      expect(placed.body.errors.map((e: { path: string }) => e.path)).toEqual(["shipTo.lat", "shipTo.lng"]);
      const quoted = await api("POST", "/v1/routing/quote", { token: shopper.token, body });
      expect(quoted.status).toBe(422);
      expect(quoted.body.errors).toEqual(placed.body.errors);
    }
  });

  it("stores an imported code by its key, so any spelling of it is one entry", async () => {
    const { country, imported } = await postalTable(["SW1A 1AA,51.501,-0.1416", "sw1a-1aa,1,1"]);
    expect(imported).toEqual({ imported: 1, rejected: [{ line: 3, message: expect.stringMatching(/line 2/) }] });
    for (const typed of ["SW1A1AA", "sw1a 1aa", "SW1A-1AA"]) {
      const r = await api("GET", `/v1/postal-codes/${country}/${encodeURIComponent(typed)}`);
      expect(r.status, typed).toBe(200);
      expect(r.body).toMatchObject({ country, code: "SW1A1AA", lat: 51.501 });
    }
  });
});

const queriesOf = (prefix: string) => env.TEST_MIGRATIONS.find((m) => m.name.startsWith(prefix))!.queries;

describe("migration 0046: postal codes re-keyed", () => {
  it("adds each spaced or dashed code's key beside it, keeping an already keyed row over its spaced twin", async () => {
    const insert = (code: string, lat: number) =>
      env.DB.prepare("insert into postal_codes (country, code, lat, lng) values ('VM', ?, ?, 77)").bind(code, lat);
    await env.DB.batch([
      insert("560 034", 1),
      insert("560-035", 2),
      insert("560036", 3),
      insert("560 036", 4),
      insert("SW1A 1AA", 5),
    ]);
    await env.DB.batch(queriesOf("0046_").map((q) => env.DB.prepare(q)));
    const rows = await env.DB.prepare("select code, lat from postal_codes where country = 'VM' order by code").all();
    // The spelled rows stay for the release before, which looks codes up as spelled during a deploy.
    expect(rows.results).toEqual([
      { code: "560 034", lat: 1 },
      { code: "560 036", lat: 4 },
      { code: "560-035", lat: 2 },
      { code: "560034", lat: 1 },
      { code: "560035", lat: 2 },
      { code: "560036", lat: 3 },
      { code: "SW1A 1AA", lat: 5 },
      { code: "SW1A1AA", lat: 5 },
    ]);
  });
});
