import { describe, expect, it } from "vitest";
import { api, newCustomer, tokenFor, uid } from "../support/api";
import { BENGALURU, checkout, MUMBAI, pay, stockedSku } from "../support/marketplace";

/** A paid two-vendor order whose vendors have names a person would recognise. */
async function scene() {
  const tag = uid();
  const a = await stockedSku({
    warehouses: [{ at: BENGALURU, onHand: 5 }],
    vendor: { name: `Deccan Gadget Hub ${tag}` },
  });
  const b = await stockedSku({ warehouses: [{ at: MUMBAI, onHand: 5 }], vendor: { name: `Konkan Pantry ${tag}` } });
  const owner = await newCustomer();
  const r = await checkout(owner.token, [
    { skuId: a.skuId, qty: 1 },
    { skuId: b.skuId, qty: 2 },
  ]);
  expect(r.status).toBe(201);
  expect((await pay(owner.token, r.body.payment.id)).status).toBe(200);
  return { a, b, tag, owner, orderId: r.body.order.id as string, ops: await tokenFor("ops") };
}

describe("order views name what they show", () => {
  it("names each sub-order's vendor and each line's product, offer and warehouse", async () => {
    const s = await scene();
    for (const token of [s.ops, s.owner.token]) {
      const r = await api("GET", `/v1/orders/${s.orderId}`, { token });
      expect(r.status).toBe(200);
      const byVendor = new Map(r.body.subOrders.map((x: any) => [x.vendorId, x]));
      const subA = byVendor.get(s.a.vendorId) as any;
      expect(subA.vendorName).toBe(`Deccan Gadget Hub ${s.tag}`);
      expect((byVendor.get(s.b.vendorId) as any).vendorName).toBe(`Konkan Pantry ${s.tag}`);
      const line = subA.lines[0];
      expect(line.skuId).toBe(s.a.skuId);
      expect(line.productTitle).toMatch(/^Product /);
      expect(line.skuTitle).toMatch(/^Item /);
      expect(line.warehouseName).toMatch(/^WH /);
    }
  });

  it("names vendors, warehouses and offers in the routing explanation", async () => {
    const s = await scene();
    const r = await api("GET", `/v1/orders/${s.orderId}`, { token: s.ops });
    const lines = r.body.routing.lines as any[];
    expect(lines).toHaveLength(2);
    for (const l of lines) {
      expect(l.productTitle).toMatch(/^Product /);
      // The reason routing wrote with ids reads in names.
      expect(l.reasonNamed).not.toMatch(/\b(ven|wh|sku)_[0-9a-z]+\b/);
      for (const p of [...l.chosen, ...l.candidates]) {
        expect(p.vendorName).toMatch(/^(Deccan Gadget Hub|Konkan Pantry) /);
        expect(p.warehouseName).toMatch(/^WH /);
        expect(p.skuTitle).toMatch(/^Item /);
      }
    }
  });

  it("names the vendors in the order list, for the shopper and for ops", async () => {
    const s = await scene();
    for (const token of [s.ops, s.owner.token]) {
      const list = await api("GET", "/v1/orders?limit=200", { token });
      const mine = list.body.items.find((o: any) => o.id === s.orderId);
      expect(mine.subOrders.map((x: any) => x.vendorName).sort()).toEqual([
        `Deccan Gadget Hub ${s.tag}`,
        `Konkan Pantry ${s.tag}`,
      ]);
    }
  });
});
