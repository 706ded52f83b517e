import { describe, expect, it } from "vitest";
import { ADMIN, api } from "../support/api";
import { inr, newProduct, newSku, newVendor, newWarehouse } from "../support/catalog";
import { LIMITS, meteredJob } from "../support/invocation-budget";
import { BENGALURU, checkout, customers, pay } from "../support/marketplace";

// A page of a minute's job stays inside a fifth of the invocation's subrequests (it shares the
// invocation with the other jobs of its minute: see invocation-budget.test.ts) however many SKUs
// its orders hold: each SKU of an expired order or a breached sub-order is a stock-object call.

const BUDGET = LIMITS.subrequests / 5;
const LINES = 50;
const ORDERS = 7;

/** One vendor selling 50 SKUs from one warehouse, dispatching within an hour. */
async function bigVendor() {
  const vendor = await newVendor({ hourlyCapacity: 1_000_000, dispatchSlaHours: 1 });
  const warehouse = await newWarehouse(vendor.id, { lat: BENGALURU.lat, lng: BENGALURU.lng });
  const skuIds: string[] = [];
  for (let i = 0; i < LINES; i += 10) {
    const chunk = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const sku = await newSku(vendor.id, (await newProduct()).id, { price: inr(10_000) });
        const stocked = await api("PUT", `/v1/skus/${sku.id}/stock`, {
          token: ADMIN,
          body: { warehouseId: warehouse.id, onHand: 2 * ORDERS, reason: "count" },
        });
        expect(stocked.status).toBe(200);
        return sku.id as string;
      }),
    );
    skuIds.push(...chunk);
  }
  return skuIds;
}

/** `ORDERS` carts of one unit of every SKU, each its own shopper's; paid when asked. */
async function bigOrders(skuIds: string[], paid: boolean) {
  const shoppers = await customers(ORDERS);
  for (const s of shoppers) {
    const placed = await checkout(
      s.token,
      skuIds.map((skuId) => ({ skuId, qty: 1 })),
    );
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    if (paid) expect((await pay(s.token, placed.body.payment.id)).body.status).toBe("paid");
  }
}

describe(`a job page over orders of ${LINES} SKUs`, () => {
  it("expire-holds releases fewer of them to a page, inside its share of the subrequests", async () => {
    await bigOrders(await bigVendor(), false);
    const run = await meteredJob("expire-holds", new Date(Date.now() + 3_600_000));
    expect(run.error).toBeUndefined();
    expect(run.result).toMatchObject({ continued: true });
    expect((run.result as { cancelled: number }).cancelled).toBeGreaterThanOrEqual(1);
    expect(run.spend.subrequests, JSON.stringify([run.result, run.spend.by])).toBeLessThan(BUDGET);
  }, 120_000);

  it("the SLA watcher cancels fewer breaches to a page, inside its share of the subrequests", async () => {
    await bigOrders(await bigVendor(), true);
    const run = await meteredJob("sla-watcher", new Date(Date.now() + 2 * 3_600_000));
    expect(run.error).toBeUndefined();
    expect(run.result).toMatchObject({ continued: true });
    expect((run.result as { cancelled: number }).cancelled).toBeGreaterThanOrEqual(1);
    expect(run.spend.subrequests, JSON.stringify([run.result, run.spend.by])).toBeLessThan(BUDGET);
  }, 120_000);
});
