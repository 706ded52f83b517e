import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { vendorInventory } from "../../src/analytics/reports";
import { database } from "../../src/db/client";
import { config } from "../../src/platform/config";
import { ADMIN, api, uid } from "../support/api";
import { d1Batches } from "../support/bindings";
import { newVendor } from "../support/catalog";

const SKUS = 150;
const DAYS = 30;
const FROM = "2025-04-01";
const TO = "2025-04-30";
const dayOf = (d: number) => `2025-04-${String(d + 1).padStart(2, "0")}`;

describe("the inventory report of a vendor with many SKUs", () => {
  it("reads a row per SKU and a row per day, not one per SKU and day, and answers as before", async () => {
    const vendor = await newVendor();
    const vendorId: string = vendor.id;
    const sku = (i: number) => `${vendorId}-sku-${String(i).padStart(3, "0")}`;

    // Snapshots with gaps (each SKU skips some days and stops on a day of its own), a second warehouse
    // for every third SKU: the latest day, the count of days and the sums differ per SKU.
    const snapshots: { day: string; skuId: string; warehouseId: string; onHand: number; available: number }[] = [];
    for (let i = 0; i < SKUS; i++) {
      for (let d = 0; d <= DAYS - 1 - (i % 5); d++) {
        if ((i + d) % 7 === 0) continue;
        for (let w = 0; w < (i % 3 === 0 ? 2 : 1); w++) {
          const onHand = ((i * 7 + d * 3) % 50) + w * 5;
          snapshots.push({
            day: dayOf(d),
            skuId: sku(i),
            warehouseId: `wh-${w}`,
            onHand,
            available: onHand - ((i + d) % 4),
          });
        }
      }
    }
    // Sales on a few SKUs and days, and one SKU sold with no snapshot in the range.
    const sales: { day: string; skuId: string; units: number }[] = [];
    for (let i = 0; i < 5; i++)
      for (let d = 0; d < 3; d++) sales.push({ day: dayOf(d), skuId: sku(i), units: i + d + 1 });
    sales.push({ day: dayOf(1), skuId: `${vendorId}-sold-only`, units: 4 });

    const insertSnapshot = env.DB.prepare(
      "insert into stock_snapshots (vendor_id, day, sku_id, warehouse_id, on_hand, available) values (?, ?, ?, ?, ?, ?)",
    );
    for (let at = 0; at < snapshots.length; at += 500) {
      await env.DB.batch(
        snapshots
          .slice(at, at + 500)
          .map((s) => insertSnapshot.bind(vendorId, s.day, s.skuId, s.warehouseId, s.onHand, s.available)),
      );
    }
    const insertSale = env.DB.prepare(
      "insert into rollup_sku_days (vendor_id, day, sku_id, product_id, units, sales_minor, returned_units) values (?, ?, ?, ?, ?, ?, 0)",
    );
    await env.DB.batch(sales.map((s) => insertSale.bind(vendorId, s.day, s.skuId, uid("p"), s.units, s.units * 100)));

    // The expectation, from the seed alone.
    const perSku = new Map<
      string,
      { sold: number; sum: number; days: number; last: string; onHand: number; available: number }
    >();
    const skuEntry = (skuId: string) => {
      const e = perSku.get(skuId) ?? { sold: 0, sum: 0, days: 0, last: "", onHand: 0, available: 0 };
      perSku.set(skuId, e);
      return e;
    };
    for (const s of sales) skuEntry(s.skuId).sold += s.units;
    const skuDays = new Map<string, { skuId: string; day: string; onHand: number; available: number }>();
    for (const s of snapshots) {
      const k = `${s.skuId}|${s.day}`;
      const e = skuDays.get(k) ?? { skuId: s.skuId, day: s.day, onHand: 0, available: 0 };
      e.onHand += s.onHand;
      e.available += s.available;
      skuDays.set(k, e);
    }
    for (const sd of skuDays.values()) {
      const e = skuEntry(sd.skuId);
      e.sum += sd.onHand;
      e.days += 1;
      if (sd.day > e.last) Object.assign(e, { last: sd.day, onHand: sd.onHand, available: sd.available });
    }
    const cover = (available: number, sold: number) =>
      sold > 0 ? Math.floor((Math.max(0, available) * DAYS) / sold) : null;
    const turnover = (sold: number, avg: number) => (avg > 0 ? Math.round((sold * 100) / avg) : null);
    const items = [...perSku.entries()]
      .map(([skuId, e]) => {
        const averageOnHand = e.days > 0 ? Math.round(e.sum / e.days) : 0;
        return {
          skuId,
          code: skuId,
          title: skuId,
          unitsSold: e.sold,
          onHand: e.onHand,
          available: e.available,
          averageOnHand,
          turnoverX100: turnover(e.sold, averageOnHand),
          daysOfCover: cover(e.available, e.sold),
        };
      })
      .sort((a, b) => b.unitsSold - a.unitsSold || a.skuId.localeCompare(b.skuId));
    const days = Array.from({ length: DAYS }, (_, d) => {
      const day = dayOf(d);
      const on = snapshots.filter((s) => s.day === day);
      return {
        day,
        onHand: on.reduce((n, s) => n + s.onHand, 0),
        available: on.reduce((n, s) => n + s.available, 0),
        unitsSold: sales.filter((s) => s.day === day).reduce((n, s) => n + s.units, 0),
      };
    });
    const sum = (pick: (i: (typeof items)[number]) => number) => items.reduce((n, i) => n + pick(i), 0);
    const totalSold = sum((i) => i.unitsSold);
    const totalAvailable = sum((i) => i.available);
    const m = { currency: config(env).currency, timeZone: config(env).timeZone };
    const expected = {
      ...m,
      from: FROM,
      to: TO,
      vendorId,
      days,
      totals: {
        unitsSold: totalSold,
        onHand: sum((i) => i.onHand),
        available: totalAvailable,
        turnoverX100: turnover(
          totalSold,
          sum((i) => i.averageOnHand),
        ),
        daysOfCover: cover(totalAvailable, totalSold),
      },
      items,
    };
    expect(snapshots.length).toBeGreaterThan(SKUS * 25);

    let rowsRead = 0;
    const counted = d1Batches((batch) => async (...args) => {
      const results = (await batch(...args)) as { results: unknown[] }[];
      for (const r of results) rowsRead += r.results.length;
      return results;
    });
    const report = await vendorInventory(
      database(counted),
      m,
      vendorId,
      { from: FROM, to: TO },
      new Date("2025-06-01T12:00:00Z"),
    );
    const { asOf: _asOf, ...rest } = report;
    expect(rest).toEqual(expected);
    // The state row, a row per SKU with a snapshot, per day with one, and the few sales rows (per
    // sold SKU and per day sold): not the 4,000 and more (SKU, day) rows.
    const soldSkus = new Set(sales.map((s) => s.skuId)).size;
    expect(rowsRead).toBeLessThanOrEqual(1 + SKUS + DAYS + soldSkus + 3);

    const json = await api("GET", `/v1/analytics/vendors/${vendorId}/inventory?from=${FROM}&to=${TO}`, {
      token: ADMIN,
    });
    expect(json.status).toBe(200);
    expect(json.body).toEqual(JSON.parse(JSON.stringify(report)));
  });
});
