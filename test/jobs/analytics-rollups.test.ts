import { env } from "cloudflare:test";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { type RefreshLimits, rebuildRollups, refreshRollups } from "../../src/analytics/refresh";
import { daysBetween, localDay } from "../../src/domain/local-day";
import { ADMIN, api, newCustomer, tokenFor } from "../support/api";
import { newVendorWithToken } from "../support/catalog";
import {
  type Change,
  changeSubOrder,
  type HistoryCatalog,
  historyCatalog,
  type PlacedOrder,
  placeOrder,
  rollupSnapshot,
} from "../support/order-history";

// Small pages, so a short history still crosses many page and day boundaries.
const SMALL: RefreshLimits = { eventPages: 2, eventsPerPage: 7, days: 2 };
const DAY = 86_400_000;
const now = new Date();

/** Refreshes until nothing is left, as the queue's continuations would. */
async function drain(limits: RefreshLimits = SMALL) {
  for (let i = 0; i < 10_000; i++) {
    const run = await refreshRollups(env, now, limits);
    if (!run.continued && !run.conflicted) return run;
  }
  throw new Error("the refresh never caught up");
}

async function rebuilt() {
  let run = await rebuildRollups(env, now, SMALL);
  if (run.continued) run = await drain();
  return rollupSnapshot();
}

let cat: HistoryCatalog;
beforeAll(async () => {
  cat = await historyCatalog();
});

const changes: Change[] = ["dispatch", "deliver", "cancel", "breach", "nudge", "return", "refund"];

const step = fc.oneof(
  fc.record({
    kind: fc.constant("place" as const),
    daysAgo: fc.integer({ min: 0, max: 12 }),
    minute: fc.integer({ min: 0, max: 1439 }),
    paid: fc.boolean(),
    lines: fc.array(
      fc.record({
        vendor: fc.integer({ min: 0, max: 2 }),
        sku: fc.integer({ min: 0, max: 1 }),
        qty: fc.integer({ min: 1, max: 4 }),
      }),
      { minLength: 1, maxLength: 4 },
    ),
  }),
  fc.record({
    kind: fc.constant("change" as const),
    order: fc.nat(),
    sub: fc.nat(),
    change: fc.constantFrom(...changes),
    hoursLater: fc.integer({ min: 1, max: 200 }),
  }),
  fc.record({ kind: fc.constant("refresh" as const), whole: fc.boolean() }),
);

describe("analytics roll-ups", () => {
  it("an incremental refresh equals a full rebuild on random histories, partial returns and refunds included", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 40 }), async (steps) => {
        const placed: PlacedOrder[] = [];
        for (const s of steps) {
          if (s.kind === "place") {
            const at = new Date(now.getTime() - s.daysAgo * DAY - s.minute * 60_000);
            placed.push(await placeOrder(cat, { at, paid: s.paid, lines: s.lines }));
          } else if (s.kind === "change" && placed.length > 0) {
            const order = placed[s.order % placed.length]!;
            const at = new Date(Date.parse(order.paidAt ?? now.toISOString()) + s.hoursLater * 3_600_000);
            await changeSubOrder(order, s.sub, s.change, at);
          } else if (s.kind === "refresh") {
            // Part of a refresh only, or all of it: the next one carries on from the watermark.
            if (s.whole) await drain();
            else await refreshRollups(env, now, SMALL);
          }
        }
        await drain();
        const incremental = await rollupSnapshot();
        expect(await rebuilt()).toEqual(incremental);
      }),
      { numRuns: 12 },
    );
  });

  it("counts what the orders say: GMV, units, partial returns and refunds of a day", async () => {
    const at = new Date(now.getTime() - 40 * DAY);
    const day = localDay(at, "Asia/Kolkata");
    const a = await placeOrder(cat, {
      at,
      paid: true,
      lines: [
        { vendor: 0, sku: 0, qty: 3 },
        { vendor: 1, sku: 1, qty: 1 },
      ],
    });
    await placeOrder(cat, { at, paid: false, lines: [{ vendor: 0, sku: 0, qty: 1 }] });
    await changeSubOrder(a, 0, "deliver", new Date(at.getTime() + 30 * 3_600_000));
    await changeSubOrder(a, 0, "return", new Date(at.getTime() + 40 * 3_600_000));
    await changeSubOrder(a, 0, "refund", new Date(at.getTime() + 41 * 3_600_000));
    await drain();
    const platform = await env.DB.prepare("select * from rollup_platform_days where day = ?").bind(day).first();
    const v0 = cat.vendors[0]!;
    const sku = await env.DB.prepare("select * from rollup_sku_days where day = ? and sku_id = ?")
      .bind(day, v0.skus[0]!.id)
      .first();
    expect(platform).toMatchObject({
      orders_placed: 2,
      orders_paid: 1,
      gmv_minor: 3 * v0.skus[0]!.priceMinor + cat.vendors[1]!.skus[1]!.priceMinor,
      sub_orders: 2,
      refunded_minor: 100,
      returned_sub_orders: 1,
      delivered_sub_orders: 1,
    });
    expect(sku).toMatchObject({ units: 3, returned_units: 1, sales_minor: 3 * v0.skus[0]!.priceMinor });
    // Delivered 29 hours after payment: the 1440–2160 minute bucket, for the vendor and the platform.
    const latency = await env.DB.prepare(
      "select vendor_id, bucket, count from rollup_latency_days where day = ? and metric = 'delivery' order by vendor_id",
    )
      .bind(day)
      .all();
    expect(latency.results).toEqual([
      { vendor_id: "*", bucket: 9, count: 1 },
      { vendor_id: v0.id, bucket: 9, count: 1 },
    ]);
  });

  it("a late change to an old order is picked up on that order's day", async () => {
    const at = new Date(now.getTime() - 90 * DAY);
    const day = localDay(at, "Asia/Kolkata");
    const order = await placeOrder(cat, { at, paid: true, lines: [{ vendor: 2, sku: 0, qty: 2 }] });
    await changeSubOrder(order, 0, "deliver", new Date(at.getTime() + 48 * 3_600_000));
    await drain();
    const before = await env.DB.prepare("select returned_units from rollup_vendor_days where day = ? and vendor_id = ?")
      .bind(day, cat.vendors[2]!.id)
      .first();
    expect(before).toEqual({ returned_units: 0 });
    // Months later, a return of one unit of it.
    await changeSubOrder(order, 0, "return", now);
    const run = await drain();
    expect(run.asOf).not.toBeNull();
    const after = await env.DB.prepare("select returned_units from rollup_vendor_days where day = ? and vendor_id = ?")
      .bind(day, cat.vendors[2]!.id)
      .first();
    expect(after).toEqual({ returned_units: 1 });
  });

  it("pages through more events than a page holds and more days than a run recomputes, handing on the rest", async () => {
    const order = await placeOrder(cat, {
      at: new Date(now.getTime() - 3 * DAY),
      paid: true,
      lines: [{ vendor: 0, sku: 1, qty: 1 }],
    });
    // 2,500 events in one statement: more than two default pages of 1,000.
    await env.DB.prepare(
      `with recursive n(i) as (select 1 union all select i + 1 from n where i < 2500)
       insert into order_events (order_id, type, at, actor_role, dedupe_key) select ?1, 'test.bulk', ?2, 'system', 'bulk:' || ?1 || ':' || i from n`,
    )
      .bind(order.id, now.toISOString())
      .run();
    for (let d = 0; d < 12; d++)
      await placeOrder(cat, {
        at: new Date(now.getTime() - (200 + d) * DAY),
        paid: true,
        lines: [{ vendor: 1, sku: 0, qty: 1 }],
      });
    const first = await refreshRollups(env, now, { eventPages: 2, eventsPerPage: 1000, days: 8 });
    expect(first).toMatchObject({ eventsRead: 2000, continued: true, conflicted: false });
    let runs = 1;
    let run = first;
    while (run.continued) {
      run = await refreshRollups(env, now);
      runs += 1;
    }
    expect(runs).toBeGreaterThan(1);
    expect(await env.DB.prepare("select count(*) as n from rollup_dirty_days").first()).toEqual({ n: 0 });
    expect(await rebuilt()).toEqual(await rollupSnapshot());
  });

  it("two refreshes at once change nothing twice", async () => {
    const placed: PlacedOrder[] = [];
    for (let i = 0; i < 30; i++)
      placed.push(
        await placeOrder(cat, {
          at: new Date(now.getTime() - (i % 6) * DAY - i * 60_000),
          paid: true,
          lines: [{ vendor: i % 3, sku: i % 2, qty: 1 + (i % 3) }],
        }),
      );
    for (const [i, o] of placed.entries()) await changeSubOrder(o, 0, i % 2 ? "return" : "refund", now);
    const runs = await Promise.all([
      refreshRollups(env, now, SMALL),
      refreshRollups(env, now, SMALL),
      refreshRollups(env, now, SMALL),
    ]);
    // Whoever lost the compare-and-set on the watermark wrote nothing.
    expect(runs.some((r) => !r.conflicted)).toBe(true);
    await Promise.all([drain(), drain()]);
    const incremental = await rollupSnapshot();
    expect(await rebuilt()).toEqual(incremental);
  });
});

describe("analytics API", () => {
  it("ops read the platform; a vendor reads only its own; customers are refused", async () => {
    await drain();
    const ops = await tokenFor("ops");
    const vendor = cat.vendors[0]!;
    const vendorToken = await tokenFor("vendor", { vendorId: vendor.id });
    const shopper = await newCustomer();
    const range = `from=${localDay(new Date(now.getTime() - 100 * DAY), "Asia/Kolkata")}&to=${localDay(now, "Asia/Kolkata")}`;

    const platform = await api("GET", `/v1/analytics/platform?${range}`, { token: ops });
    expect(platform.status).toBe(200);
    expect(platform.body).toMatchObject({ currency: "INR", timeZone: "Asia/Kolkata", asOf: expect.any(String) });
    expect(platform.body.days.length).toBeGreaterThan(90);
    expect(platform.body.totals.gmvMinor).toBe(
      platform.body.days.reduce((a: number, d: { gmvMinor: number }) => a + d.gmvMinor, 0),
    );
    expect((await api("GET", `/v1/analytics/platform/top-vendors?${range}`, { token: ops })).status).toBe(200);

    for (const path of ["", "/products", "/inventory"]) {
      const own = await api("GET", `/v1/analytics/vendors/${vendor.id}${path}?${range}`, { token: vendorToken });
      expect(own.status).toBe(200);
      expect(own.body).toMatchObject({ vendorId: vendor.id, asOf: expect.any(String) });
      const other = await api("GET", `/v1/analytics/vendors/${cat.vendors[1]!.id}${path}`, { token: vendorToken });
      expect(other.status).toBe(404);
      expect((await api("GET", `/v1/analytics/vendors/${vendor.id}${path}`, { token: shopper.token })).status).toBe(
        403,
      );
      expect((await api("GET", `/v1/analytics/vendors/${vendor.id}${path}`, { token: ops })).status).toBe(200);
    }
    expect((await api("GET", "/v1/analytics/platform", { token: vendorToken })).status).toBe(403);
    expect((await api("GET", "/v1/analytics/platform", { token: shopper.token })).status).toBe(403);
    expect((await api("POST", "/v1/admin/analytics/rebuild", { token: ops })).status).toBe(403);
    expect((await api("POST", "/v1/admin/analytics/rebuild", { token: ADMIN })).status).toBe(200);
  });

  it("refuses a range that runs backwards or past a year", async () => {
    const ops = await tokenFor("ops");
    expect((await api("GET", "/v1/analytics/platform?from=2026-05-02&to=2026-05-01", { token: ops })).status).toBe(422);
    expect((await api("GET", "/v1/analytics/platform?from=2024-01-01&to=2026-01-01", { token: ops })).status).toBe(422);
    expect((await api("GET", "/v1/analytics/platform?from=2026-02-30", { token: ops })).status).toBe(422);
    // The day after 9999-12-31 has no four-digit year: such a range is refused, not walked.
    const vendor = await newVendorWithToken();
    for (const range of ["to=9999-12-31", "from=9999-12-31", "from=9999-12-30&to=9999-12-31", "to=0000-01-05"]) {
      for (const path of [
        `/v1/analytics/vendors/${vendor.vendorId}`,
        `/v1/analytics/vendors/${vendor.vendorId}/export`,
      ]) {
        const r = await api("GET", `${path}?${range}`, { token: vendor.token });
        expect([r.status, r.headers.get("content-type")]).toEqual([422, "application/problem+json"]);
      }
    }
    expect(daysBetween("9999-12-30", "9999-12-31")).toEqual(["9999-12-30", "9999-12-31"]);
    // `from` alone runs to today, but never past a year and a day.
    const long = await api("GET", "/v1/analytics/platform?from=2023-01-01", { token: ops });
    expect([long.status, long.body.from, long.body.to, long.body.days.length]).toEqual([
      200,
      "2023-01-01",
      "2024-01-01",
      366,
    ]);
  });
});
