import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { refreshRollups } from "../../src/analytics/refresh";
import { addDays, localDay } from "../../src/domain/local-day";
import { ADMIN, api, newCustomer, tokenFor, uid } from "../support/api";
import { newWarehouse } from "../support/catalog";
import { type HistoryCatalog, historyCatalog, placeOrder } from "../support/order-history";

const DAY = 86_400_000;
const runAlerts = () => api("POST", "/v1/admin/jobs/low-stock-alerts/run", { token: ADMIN });

/** The stock mirror of one (SKU, warehouse), as the stock object's flush would leave it. */
async function mirror(skuId: string, warehouseId: string, available: number) {
  await env.DB.prepare(
    `insert into stock_levels (sku_id, warehouse_id, on_hand, available, held, committed, version, updated_at)
     values (?1, ?2, ?3, ?3, 0, 0, 1, ?4)
     on conflict (sku_id, warehouse_id) do update set on_hand = excluded.on_hand, available = excluded.available, version = version + 1`,
  )
    .bind(skuId, warehouseId, available, new Date().toISOString())
    .run();
}

async function alertsFor(skuId: string) {
  const rows = await env.DB.prepare(
    "select recipient, vendor_id from notifications where template = 'low_stock' and json_extract(payload, '$.params.skuId') = ? order by recipient",
  )
    .bind(skuId)
    .all<{ recipient: string; vendor_id: string | null }>();
  return rows.results;
}

let cat: HistoryCatalog;
beforeAll(async () => {
  // Thresholds of 5 (the catalog fixture's), lead times of 7 days (the default).
  cat = await historyCatalog(2, 2);
});

describe("low-stock alerts", () => {
  it("tells the vendor and ops once per crossing, and again only after stock went back above", async () => {
    const v = cat.vendors[0]!;
    const sku = v.skus[0]!.id;
    await mirror(sku, v.warehouseId, 10);
    await runAlerts();
    expect(await alertsFor(sku)).toHaveLength(0);

    await mirror(sku, v.warehouseId, 4);
    await runAlerts();
    expect(await alertsFor(sku)).toEqual([
      { recipient: "ops", vendor_id: null },
      { recipient: `vendor:${v.id}`, vendor_id: v.id },
    ]);
    // Further sales below the threshold, and runs at once: nothing more.
    await mirror(sku, v.warehouseId, 2);
    await Promise.all([runAlerts(), runAlerts(), runAlerts()]);
    expect(await alertsFor(sku)).toHaveLength(2);

    // Restocked above: re-armed, silently; down to the threshold again: a second alert.
    await mirror(sku, v.warehouseId, 9);
    await runAlerts();
    expect(await alertsFor(sku)).toHaveLength(2);
    await mirror(sku, v.warehouseId, 5);
    await new Promise((r) => setTimeout(r, 1100));
    await runAlerts();
    expect(await alertsFor(sku)).toHaveLength(4);
  });

  it("a closed warehouse is never low, and is re-armed to tell again when it reopens low", async () => {
    const v = cat.vendors[1]!;
    const sku = v.skus[1]!.id;
    const far = await newWarehouse(v.id);
    const setStatus = async (status: string) =>
      expect((await api("PATCH", `/v1/warehouses/${far.id}`, { token: ADMIN, body: { status } })).status).toBe(200);
    const state = async () =>
      (
        await env.DB.prepare("select state from low_stock_alerts where sku_id = ? and warehouse_id = ?")
          .bind(sku, far.id)
          .first<{ state: string }>()
      )?.state;
    await mirror(sku, v.warehouseId, 50);
    await mirror(sku, far.id, 1);
    await setStatus("inactive");
    await runAlerts();
    expect(await alertsFor(sku)).toHaveLength(0);

    await setStatus("active");
    await runAlerts();
    expect(await alertsFor(sku)).toHaveLength(2);
    // Closed while low: re-armed without a word; open again and still low: told again.
    await setStatus("inactive");
    await runAlerts();
    expect(await state()).toBe("ok");
    expect(await alertsFor(sku)).toHaveLength(2);
    await setStatus("active");
    await new Promise((r) => setTimeout(r, 1100));
    await runAlerts();
    expect(await alertsFor(sku)).toHaveLength(4);
  });

  it("checks the whole mirror in one run: 150 pairs cross at once, each alerted once", async () => {
    const v = cat.vendors[1]!;
    const product = v.skus[0]!.productId;
    const ids = Array.from({ length: 150 }, () => uid("sku_ls"));
    const at = new Date().toISOString();
    await env.DB.batch(
      ids.flatMap((id, i) => [
        env.DB.prepare(
          `insert into skus (id, vendor_id, product_id, code, title, price_minor, currency, barcode, low_stock_threshold, created_at, updated_at)
           values (?1, ?2, ?3, ?1, 'Bulk item', 100, 'INR', ?1, 3, ?4, ?4)`,
        ).bind(id, v.id, product, at),
        env.DB.prepare(
          `insert into stock_levels (sku_id, warehouse_id, on_hand, available, held, committed, version, updated_at)
           values (?1, ?2, ?3, ?3, 0, 0, 1, ?4)`,
        ).bind(id, v.warehouseId, i % 4, at),
      ]),
    );
    await Promise.all([runAlerts(), runAlerts()]);
    const counted = await env.DB.prepare(
      `select count(*) as n from notifications where template = 'low_stock'
       and json_extract(payload, '$.params.skuId') in (select value from json_each(?))`,
    )
      .bind(JSON.stringify(ids))
      .first<{ n: number }>();
    expect(counted?.n).toBe(300);
  });
});

describe("reorder suggestions", () => {
  it("follow sales velocity and lead time", async () => {
    const v = cat.vendors[0]!;
    const [fast, slow] = [v.skus[0]!, v.skus[1]!];
    const now = new Date();
    // The last 28 days: 2 units of `fast` a day, 1 of `slow` every other day.
    for (let k = 1; k <= 28; k++) {
      const at = new Date(now.getTime() - k * DAY);
      await placeOrder(cat, {
        at,
        paid: true,
        lines: [{ vendor: 0, sku: 0, qty: 2 }, ...(k % 2 ? [{ vendor: 0, sku: 1, qty: 1 }] : [])],
      });
    }
    for (let r = await refreshRollups(env, now); r.continued; r = await refreshRollups(env, now));
    await mirror(fast.id, v.warehouseId, 20);
    await mirror(slow.id, v.warehouseId, 100);
    const token = await tokenFor("vendor", { vendorId: v.id });
    const today = localDay(now, "Asia/Kolkata");
    const read = async () => {
      const r = await api("GET", `/v1/vendors/${v.id}/reorder-suggestions`, { token });
      expect(r.status).toBe(200);
      return new Map(r.body.items.map((i: { skuId: string }) => [i.skuId, i]));
    };

    let items = await read();
    // 2 a day: 20 units last 10 days; ordered 7 days before that; 2 × (7 + 14) − 20 = 22 to order.
    expect(items.get(fast.id)).toMatchObject({
      velocityPerDayX100: 200,
      runOutDate: addDays(today, 10),
      orderBy: addDays(today, 3),
      quantity: 22,
      leadTimeDays: 7,
    });
    expect(items.get(slow.id)).toMatchObject({ velocityPerDayX100: 50, runOutDate: addDays(today, 200), quantity: 0 });

    const set = await api("PUT", `/v1/skus/${fast.id}/lead-time`, { token, body: { leadTimeDays: 12 } });
    expect(set.status).toBe(200);
    items = await read();
    // A longer lead time: order today, and more.
    expect(items.get(fast.id)).toMatchObject({ orderBy: today, quantity: 2 * 26 - 20, leadTimeDays: 12 });

    // Units in a closed warehouse are not for sale: they put off no reorder.
    const closed = await newWarehouse(v.id);
    await mirror(fast.id, closed.id, 100);
    expect((await api("PATCH", `/v1/warehouses/${closed.id}`, { token, body: { status: "inactive" } })).status).toBe(
      200,
    );
    items = await read();
    expect(items.get(fast.id)).toMatchObject({ quantity: 2 * 26 - 20 });
  });

  it("a vendor reads and sets only its own; customers are refused", async () => {
    const mine = cat.vendors[0]!;
    const other = cat.vendors[1]!;
    const token = await tokenFor("vendor", { vendorId: mine.id });
    const shopper = await newCustomer();
    expect((await api("GET", `/v1/vendors/${other.id}/reorder-suggestions`, { token })).status).toBe(404);
    expect(
      (await api("PUT", `/v1/skus/${other.skus[0]!.id}/lead-time`, { token, body: { leadTimeDays: 3 } })).status,
    ).toBe(404);
    expect((await api("GET", `/v1/vendors/${mine.id}/reorder-suggestions`, { token: shopper.token })).status).toBe(403);
    expect(
      (await api("PUT", `/v1/skus/${mine.skus[0]!.id}/lead-time`, { token, body: { leadTimeDays: 366 } })).status,
    ).toBe(422);
  });
});
