import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { database } from "../../src/db/client";
import { vendorLoads } from "../../src/db/vendor-loads";
import { purgeExpiredKeys } from "../../src/jobs/housekeeping";
import { api, newCustomer, tokenFor } from "../support/api";
import { newVendor } from "../support/catalog";
import { BENGALURU, checkout, stockedSku } from "../support/marketplace";

type Count = { vendorId: string; hour: string; n: number };

/** What `vendor_hourly_loads` holds, rows at zero left out. */
async function kept(): Promise<Count[]> {
  const { results } = await env.DB.prepare(
    `select vendor_id as vendorId, hour, sub_orders as n from vendor_hourly_loads where sub_orders <> 0
     order by vendor_id, hour`,
  ).all<Count>();
  return results;
}

/** The same counts taken from the sub-orders themselves. */
async function counted(): Promise<Count[]> {
  const { results } = await env.DB.prepare(
    `select vendor_id as vendorId, substr(created_at, 1, 13) as hour, count(*) as n from sub_orders
     where status <> 'cancelled' group by vendor_id, substr(created_at, 1, 13) order by vendor_id, hour`,
  ).all<Count>();
  return results;
}

/** The migration's backfill, run again over the sub-orders as they are now. */
async function rebuilt(): Promise<Count[]> {
  const migration = env.TEST_MIGRATIONS.find((m) => m.name.startsWith("0020_vendor_hourly_loads"))!;
  const backfill = migration.queries.find(
    (q) => q.includes("INSERT INTO `vendor_hourly_loads`") && q.includes("GROUP BY"),
  )!;
  await env.DB.batch([env.DB.prepare("DELETE FROM vendor_hourly_loads"), env.DB.prepare(backfill)]);
  return kept();
}

const subOrdersOf = async (orderId: string) =>
  (
    await env.DB.prepare("select id, vendor_id as vendorId, created_at as createdAt from sub_orders where order_id = ?")
      .bind(orderId)
      .all<{ id: string; vendorId: string; createdAt: string }>()
  ).results;

// Every checkout reads its vendors' hourly load from this count: it must equal counting the
// sub-orders, whichever path wrote them.
describe("a vendor's sub-orders this hour, as the triggers count them", () => {
  it("moves with checkouts, cancellations, reassignments, re-dating and deletes", async () => {
    const sku = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 50 }] });
    const shopper = await newCustomer();
    const orders: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await checkout(shopper.token, [{ skuId: sku.skuId, qty: 1 }]);
      expect(r.status).toBe(201);
      orders.push(r.body.order.id);
    }
    const now = new Date();
    expect((await vendorLoads(database(env), [sku.vendorId], now)).get(sku.vendorId)).toBe(4);
    // Leaving out the order being placed or moved, as checkout and reassignment ask.
    expect((await vendorLoads(database(env), [sku.vendorId], now, orders[0])).get(sku.vendorId)).toBe(3);

    const ops = await tokenFor("ops");
    const cancelled = await api("POST", `/v1/orders/${orders[0]}/cancel`, {
      token: ops,
      body: { reason: "changed_mind" },
    });
    expect(cancelled.status).toBe(200);
    expect((await vendorLoads(database(env), [sku.vendorId], now)).get(sku.vendorId)).toBe(3);

    // Moved to another vendor, moved to another hour, un-cancelled, deleted: each by plain SQL,
    // as any future path might write them.
    const other = await newVendor();
    const [moved] = await subOrdersOf(orders[1]!);
    const [redated] = await subOrdersOf(orders[2]!);
    const [revived] = await subOrdersOf(orders[0]!);
    const [gone] = await subOrdersOf(orders[3]!);
    await env.DB.batch([
      env.DB.prepare("update sub_orders set vendor_id = ? where id = ?").bind(other.id, moved!.id),
      env.DB.prepare("update sub_orders set created_at = '2020-01-01T05:59:59Z' where id = ?").bind(redated!.id),
      env.DB.prepare("update sub_orders set status = 'pending_payment' where id = ?").bind(revived!.id),
      env.DB.prepare("delete from line_items where sub_order_id = ?").bind(gone!.id),
      env.DB.prepare("delete from sub_orders where id = ?").bind(gone!.id),
    ]);
    const loads = await vendorLoads(database(env), [sku.vendorId, other.id], now);
    expect(Object.fromEntries(loads)).toEqual({ [sku.vendorId]: 1, [other.id]: 1 });
    expect((await vendorLoads(database(env), [sku.vendorId], new Date("2020-01-01T05:00:00Z"))).get(sku.vendorId)).toBe(
      1,
    );

    const byTriggers = await kept();
    expect(byTriggers).toEqual(await counted());
    expect(byTriggers.length).toBeGreaterThan(0);
    // The migration's own backfill gives the same counts from the rows alone.
    expect(await rebuilt()).toEqual(byTriggers);
  });

  it("answers zero for a vendor with nothing this hour, and for more vendors than one statement binds", async () => {
    const sku = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }] });
    const shopper = await newCustomer();
    expect((await checkout(shopper.token, [{ skuId: sku.skuId, qty: 1 }])).status).toBe(201);
    const idle = Array.from({ length: 150 }, (_, i) => `ven_idle_${i}`);
    const loads = await vendorLoads(database(env), [...idle, sku.vendorId], new Date());
    expect(loads.size).toBe(151);
    expect(loads.get(sku.vendorId)).toBe(1);
    expect(loads.get("ven_idle_7")).toBe(0);
  });
});

describe("the hourly housekeeping", () => {
  it("forgets the loads of hours past two days and keeps the recent ones", async () => {
    const vendor = await newVendor();
    const now = new Date("2031-03-10T12:30:00Z");
    await env.DB.batch(
      ["2031-03-08T11", "2031-03-08T12", "2031-03-10T12"].map((hour) =>
        env.DB.prepare("insert into vendor_hourly_loads (vendor_id, hour, sub_orders) values (?, ?, 2)").bind(
          vendor.id,
          hour,
        ),
      ),
    );
    const purged = await purgeExpiredKeys(env, now);
    expect(purged.vendorHourlyLoads).toBeGreaterThanOrEqual(1);
    const { results } = await env.DB.prepare("select hour from vendor_hourly_loads where vendor_id = ? order by hour")
      .bind(vendor.id)
      .all<{ hour: string }>();
    expect(results.map((r) => r.hour)).toEqual(["2031-03-08T12", "2031-03-10T12"]);
  });
});
