import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { database } from "../../src/db/client";
import { catalogMatches } from "../../src/db/product-imports";
import { uid } from "../support/api";
import { freshGtin } from "../support/product-csv";

type Seller = { id: string; status: "active" | "suspended"; onboarding: "approved" | "draft"; skuStatus: string };
type Seeded = { id: string; vendorId: string; barcode: string; createdAt: string; onSale: boolean };

const minutesAfter = (base: string, minutes: number) =>
  new Date(Date.parse(base) + minutes * 60_000).toISOString().replace(/\.\d{3}Z$/, "Z");

/** Vendors and their SKUs written straight into D1: one statement per vendor and table, in one batch. */
async function seed(vendors: Seller[], rows: (Seeded & { code: string })[]) {
  const at = "2024-01-01T00:00:00Z";
  await env.DB.batch([
    env.DB.prepare(
      `INSERT INTO vendors (id, name, status, onboarding, commission_bps, hourly_capacity, created_at)
       SELECT json_extract(value, '$.id'), 'V', json_extract(value, '$.status'), json_extract(value, '$.onboarding'),
         1000, 100, ? FROM json_each(?)`,
    ).bind(at, JSON.stringify(vendors)),
    ...vendors.flatMap((v) => {
      const own = JSON.stringify(rows.filter((r) => r.vendorId === v.id));
      return [
        env.DB.prepare(
          `INSERT INTO products (id, title, created_at)
           SELECT 'prd_' || json_extract(value, '$.id'), 'P', ? FROM json_each(?)`,
        ).bind(at, own),
        env.DB.prepare(
          `INSERT INTO skus (id, vendor_id, product_id, code, title, price_minor, currency, barcode, status,
             created_at, updated_at)
           SELECT json_extract(value, '$.id'), ?, 'prd_' || json_extract(value, '$.id'), json_extract(value, '$.code'),
             'S', 1000, 'INR', json_extract(value, '$.barcode'), ?, json_extract(value, '$.createdAt'),
             json_extract(value, '$.createdAt')
           FROM json_each(?)`,
        ).bind(v.id, v.skuStatus, own),
      ];
    }),
  ]);
}

// A page's GTIN lookup must not grow with how many sellers carry each GTIN: 200 vendors sharing
// 5,000 GTINs made every 400-row page of the 200th read back ~80,000 rows into a 128 MB consumer.
describe("the GTIN lookup of an import page", () => {
  it("answers per GTIN only the vendor's own SKU and the oldest other seller's on sale, across chunks", async () => {
    const me: Seller = { id: uid("v-me"), status: "active", onboarding: "approved", skuStatus: "active" };
    // Older than every seller's SKU, and none of them sells: each is passed over, as before.
    const suspended: Seller = { id: uid("v-susp"), status: "suspended", onboarding: "approved", skuStatus: "active" };
    const draft: Seller = { id: uid("v-draft"), status: "active", onboarding: "draft", skuStatus: "active" };
    const paused: Seller = { id: uid("v-paused"), status: "active", onboarding: "approved", skuStatus: "inactive" };
    const sellers: Seller[] = Array.from({ length: 27 }, (_, k) => ({
      id: uid(`v-${String(k).padStart(2, "0")}`),
      status: "active",
      onboarding: "approved",
      skuStatus: "active",
    }));
    // 120 GTINs: more than one selectIn chunk of the 100 parameters a D1 statement binds.
    const gtins = Array.from({ length: 120 }, () => freshGtin());
    const rows: (Seeded & { code: string })[] = [];
    const add = (v: Seller, barcode: string, createdAt: string) =>
      rows.push({
        id: uid("sku"),
        vendorId: v.id,
        code: uid("C-"),
        barcode,
        createdAt,
        onSale: v.status === "active" && v.onboarding === "approved" && v.skuStatus === "active",
      });
    gtins.forEach((gtin, g) => {
      // The vendor's own SKU, the oldest of all, on every third GTIN: its own, never its offer.
      if (g % 3 === 0) add(me, gtin, "2024-06-01T00:00:00Z");
      for (const v of [suspended, draft, paused]) add(v, gtin, "2025-01-01T00:00:00Z");
      // The last ten GTINs only the non-sellers carry: no offer for them.
      if (g >= 110) return;
      sellers.forEach((v, k) => {
        // Every fifth GTIN all sellers share one moment (the id decides); elsewhere the oldest varies.
        const minutes = g % 5 === 0 ? 0 : (k * 7 + g) % 27;
        add(v, gtin, minutesAfter("2025-06-01T00:00:00Z", minutes));
      });
    });
    await seed([me, suspended, draft, paused, ...sellers], rows);

    const { byCode, byBarcode } = await catalogMatches(
      database(env),
      me.id,
      rows.filter((r) => r.vendorId === me.id).map((r) => r.code),
      gtins,
    );

    expect(byCode).toHaveLength(40);
    for (const gtin of gtins) {
      const found = byBarcode.filter((s) => s.barcode === gtin);
      expect(found.length).toBeLessThanOrEqual(2);
      const own = rows.find((r) => r.barcode === gtin && r.vendorId === me.id);
      expect(found.filter((s) => s.vendorId === me.id).map((s) => s.id)).toEqual(own ? [own.id] : []);
      const oldest = rows
        .filter((r) => r.barcode === gtin && r.vendorId !== me.id && r.onSale)
        .sort((a, b) => (a.createdAt !== b.createdAt ? (a.createdAt < b.createdAt ? -1 : 1) : a.id < b.id ? -1 : 1))[0];
      const offers = found.filter((s) => s.vendorId !== me.id);
      expect(offers.map((s) => s.id)).toEqual(oldest ? [oldest.id] : []);
      if (oldest) expect(offers[0]!.productId).toBe(`prd_${oldest.id}`);
    }
    expect(byBarcode).toHaveLength(40 + 110);
  });
});
