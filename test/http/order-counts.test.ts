import { describe, expect, it } from "vitest";
import { api, newCustomer, tokenFor } from "../support/api";
import { BENGALURU, checkout, pay, stockedSku } from "../support/marketplace";

describe("order counts", () => {
  it("counts a filter's orders by status, and keeps the figures a few seconds per filter", async () => {
    const ops = await tokenFor("ops");
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 10 }] });
    const place = async (paid: boolean) => {
      const shopper = await newCustomer();
      const placed = await checkout(shopper.token, [{ skuId: s.skuId, qty: 1 }]);
      if (paid) await pay(shopper.token, placed.body.payment.id);
    };
    await place(true);
    await place(true);
    await place(false);
    const counts = (q: string) => api("GET", `/v1/orders/counts?${q}`, { token: ops });

    const first = await counts(`vendorId=${s.vendorId}`);
    expect(first.status).toBe(200);
    expect(first.body.total).toBe(3);
    expect(first.body.counts).toMatchObject({ paid: 2, pending_payment: 1, cancelled: 0 });
    expect(first.body.countedAt).toMatch(/Z$/);

    await place(true);
    const cached = await counts(`vendorId=${s.vendorId}`);
    expect(cached.body).toEqual(first.body);
    const byWarehouse = await counts(`vendorId=${s.vendorId}&warehouseId=${s.warehouseIds[0]}`);
    expect(byWarehouse.body.total).toBe(4);
  });

  it("counts an order once under each of its vendors, and no other vendor's", async () => {
    const ops = await tokenFor("ops");
    const a = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 10 }] });
    const b = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 10 }] });
    const since = new Date(Date.now() - 60_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    const shopper = await newCustomer();
    const cart = await checkout(shopper.token, [
      { skuId: a.skuId, qty: 1 },
      { skuId: b.skuId, qty: 1 },
    ]);
    await pay(shopper.token, cart.body.payment.id);
    await checkout((await newCustomer()).token, [{ skuId: b.skuId, qty: 1 }]);
    const counts = async (q: string) => (await api("GET", `/v1/orders/counts?${q}`, { token: ops })).body;

    expect(await counts(`vendorId=${a.vendorId}&from=${since}`)).toMatchObject({ total: 1, counts: { paid: 1 } });
    expect(await counts(`vendorId=${b.vendorId}&from=${since}`)).toMatchObject({
      total: 2,
      counts: { paid: 1, pending_payment: 1 },
    });
    expect(await counts(`vendorId=${b.vendorId}&warehouseId=${a.warehouseIds[0]}`)).toMatchObject({ total: 1 });
  });

  it("is for ops and admins, and validates its filters", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 1 }] });
    const vendor = await tokenFor("vendor", { vendorId: s.vendorId });
    expect((await api("GET", "/v1/orders/counts", { token: vendor })).status).toBe(403);
    const ops = await tokenFor("ops");
    const bad = await api("GET", "/v1/orders/counts?from=yesterday", { token: ops });
    expect(bad.status).toBe(422);
    expect(bad.headers.get("content-type")).toContain("application/problem+json");
  });
});
