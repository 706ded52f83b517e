import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { refreshRollups } from "../../src/analytics/refresh";
import { database } from "../../src/db/client";
import { snapshotStock } from "../../src/db/rollups";
import { addDays, localDay } from "../../src/domain/local-day";
import { config } from "../../src/platform/config";
import { ADMIN, api } from "../support/api";
import { type HistoryCatalog, historyCatalog, placeOrder } from "../support/order-history";

const DAY = 86_400_000;

let cat: HistoryCatalog;
beforeAll(async () => {
  cat = await historyCatalog(1, 1);
});

// The routes read the clock: a run across the marketplace's midnight may see another today.
describe("the inventory report's days of cover", () => {
  it("divide the sales of the range's finished days by those days only, as the reorder suggestions do", async () => {
    const now = new Date();
    const timeZone = config(env).timeZone;
    const today = localDay(now, timeZone);
    const v = cat.vendors[0]!;
    const sku = v.skus[0]!;
    // 2 units a day over the last 10 days, and 6 so far today.
    for (let k = 1; k <= 10; k++)
      await placeOrder(cat, {
        at: new Date(now.getTime() - k * DAY),
        paid: true,
        lines: [{ vendor: 0, sku: 0, qty: 2 }],
      });
    await placeOrder(cat, { at: now, paid: true, lines: [{ vendor: 0, sku: 0, qty: 6 }] });
    for (let r = await refreshRollups(env, now); r.continued; r = await refreshRollups(env, now));
    await env.DB.prepare(
      `insert into stock_levels (sku_id, warehouse_id, on_hand, available, held, committed, version, updated_at)
       values (?1, ?2, 100, 100, 0, 0, 1, ?3)`,
    )
      .bind(sku.id, v.warehouseId, now.toISOString())
      .run();
    // The cover counts what is available at the range's latest snapshot: yesterday's and today's.
    await snapshotStock(database(env), addDays(today, -1));
    await snapshotStock(database(env), today);
    const cover = async (from: string, to: string) => {
      const r = await api("GET", `/v1/analytics/vendors/${v.id}/inventory?from=${from}&to=${to}`, { token: ADMIN });
      expect(r.status).toBe(200);
      // The vendor's one SKU: its figures are the totals.
      const { unitsSold, daysOfCover } = r.body.totals;
      expect(r.body.items.map((i: { daysOfCover: number | null }) => i.daysOfCover)).toEqual(
        r.body.items.length ? [daysOfCover] : [],
      );
      return { unitsSold, daysOfCover };
    };

    // "This month" asked on its 11th: the 10 finished days sold 20, 2 a day, so 100 last 50 days;
    // the 19 days to come sold nothing and today is still selling.
    expect(await cover(addDays(today, -10), addDays(today, 19))).toEqual({ unitsSold: 26, daysOfCover: 50 });
    // The same over a range that ended yesterday.
    expect(await cover(addDays(today, -10), addDays(today, -1))).toEqual({ unitsSold: 20, daysOfCover: 50 });
    // Today alone, or days to come, have no finished day to measure a rate by.
    expect(await cover(today, today)).toEqual({ unitsSold: 6, daysOfCover: null });
    expect(await cover(addDays(today, 1), addDays(today, 5))).toEqual({ unitsSold: 0, daysOfCover: null });

    // Over the reorder suggestions' 28 days to yesterday (20 sold), both screens name the same run-out.
    const inventory = await cover(addDays(today, -28), today);
    expect(inventory.daysOfCover).toBe(Math.floor((100 * 28) / 20));
    const reorder = await api("GET", `/v1/vendors/${v.id}/reorder-suggestions`, { token: ADMIN });
    expect(reorder.status).toBe(200);
    const suggestion = reorder.body.items.find((i: { skuId: string }) => i.skuId === sku.id);
    expect(suggestion.runOutDate).toBe(addDays(today, inventory.daysOfCover));
  });
});
