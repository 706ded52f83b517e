import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { refreshRollups } from "../../src/analytics/refresh";
import { localDay } from "../../src/domain/local-day";
import { config } from "../../src/platform/config";
import { ADMIN, api, uid } from "../support/api";
import { changeSubOrder, type HistoryCatalog, historyCatalog, placeOrder } from "../support/order-history";

const DAY = 86_400_000;
const now = new Date();

/** Refreshes until nothing is left, as the queue's continuations would. */
async function drain() {
  for (let run = await refreshRollups(env, now); run.continued; run = await refreshRollups(env, now));
}

const migration = (prefix: string) => env.TEST_MIGRATIONS.find((m) => m.name.startsWith(prefix))!.queries;

let cat: HistoryCatalog;
beforeAll(async () => {
  cat = await historyCatalog(1, 1);
});

/**
 * A day of two paid sub-orders of one unit each for the vendor: one cancelled by the SLA watcher and
 * refunded whole, the other delivered with one unit returned and its 100 refunded.
 */
async function dayWithCancelAndReturn(daysAgo: number) {
  const at = new Date(now.getTime() - daysAgo * DAY);
  const kept = await placeOrder(cat, { at, paid: true, lines: [{ vendor: 0, sku: 0, qty: 1 }] });
  const cancelled = await placeOrder(cat, { at, paid: true, lines: [{ vendor: 0, sku: 0, qty: 1 }] });
  const later = (hours: number) => new Date(at.getTime() + hours * 3_600_000);
  await changeSubOrder(cancelled, 0, "breach", later(20));
  const sub = cancelled.subOrders[0]!;
  const when = later(20).toISOString();
  // The cancel's refund of the whole sub-order, as the SLA watcher's batch writes it.
  await env.DB.batch([
    env.DB.prepare(
      `insert into refunds (id, payment_id, order_id, sub_order_id, amount_minor, currency, reason, created_at)
       values (?, ?, ?, ?, ?, 'INR', 'sla_breach_auto', ?)`,
    ).bind(uid("rf_c"), cancelled.paymentId, cancelled.id, sub.id, sub.totalMinor, when),
    env.DB.prepare("update payments set refunded_minor = ? where id = ?").bind(sub.totalMinor, cancelled.paymentId),
    env.DB.prepare(
      "insert into order_events (order_id, sub_order_id, type, at, actor_role, actor_id, dedupe_key) values (?, ?, 'payment.refunded', ?, 'system', 'test', ?)",
    ).bind(cancelled.id, sub.id, when, uid("refunded")),
  ]);
  await changeSubOrder(kept, 0, "deliver", later(30));
  await changeSubOrder(kept, 0, "return", later(40));
  await changeSubOrder(kept, 0, "refund", later(41));
  return { day: localDay(at, config(env).timeZone), price: cat.vendors[0]!.skus[0]!.priceMinor };
}

async function vendorTotals(day: string) {
  const r = await api("GET", `/v1/analytics/vendors/${cat.vendors[0]!.id}?from=${day}&to=${day}`, { token: ADMIN });
  expect(r.status).toBe(200);
  return r.body.totals;
}

describe("a vendor's refunded figure", () => {
  it("counts the refunds of the sub-orders in its sales, not a cancelled sub-order's; the platform's counts both", async () => {
    const { day, price } = await dayWithCancelAndReturn(5);
    await drain();
    // Kept one sale of `price`, less the 100 refunded for its return.
    expect(await vendorTotals(day)).toMatchObject({
      salesMinor: price,
      refundedMinor: 100,
      subOrders: 2,
      cancelledSubOrders: 1,
      slaBreaches: 1,
    });
    // GMV counts the cancelled sub-order's payment, so refunds count its refund too.
    const p = await api("GET", `/v1/analytics/platform?from=${day}&to=${day}`, { token: ADMIN });
    expect(p.body.totals).toMatchObject({ gmvMinor: 2 * price, refundedMinor: price + 100 });
  });

  it("is recomputed for a day rolled up under the old rule once the migration marks it dirty", async () => {
    const { day } = await dayWithCancelAndReturn(9);
    const quiet = localDay(new Date(now.getTime() - 12 * DAY), config(env).timeZone);
    await placeOrder(cat, {
      at: new Date(now.getTime() - 12 * DAY),
      paid: true,
      lines: [{ vendor: 0, sku: 0, qty: 2 }],
    });
    await drain();
    const old = await env.DB.prepare("select refunded_minor from rollup_vendor_days where day = ? and vendor_id = ?")
      .bind(day, cat.vendors[0]!.id)
      .first<{ refunded_minor: number }>();
    expect(old?.refunded_minor).toBe(100);
    // As the old rule rolled it up: the cancel's refund in the vendor's refunded figure.
    const price = cat.vendors[0]!.skus[0]!.priceMinor;
    await env.DB.prepare("update rollup_vendor_days set refunded_minor = ? where day = ? and vendor_id = ?")
      .bind(price + 100, day, cat.vendors[0]!.id)
      .run();
    expect(await vendorTotals(day)).toMatchObject({ refundedMinor: price + 100 });

    await env.DB.batch(migration("0039_").map((q) => env.DB.prepare(q)));
    const dirty = await env.DB.prepare("select day from rollup_dirty_days where day in (?, ?)").bind(day, quiet).all();
    // Only a day with a cancellation and a refund is recomputed.
    expect(dirty.results).toEqual([{ day }]);
    await drain();
    expect(await vendorTotals(day)).toMatchObject({ salesMinor: price, refundedMinor: 100 });
  });
});
