import { describe, expect, it } from "vitest";
import { api, newCustomer, tokenFor } from "../support/api";
import { BENGALURU, checkout, pay, stockedSku } from "../support/marketplace";

describe("ops finding the orders held for review", () => {
  it("lists, counts and exports only the held ones with held=true, each marked held", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 20 }] });
    const ops = await tokenFor("ops");
    const vendor = await tokenFor("vendor", { vendorId: s.vendorId });
    const shopper = await newCustomer();
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const placed = await checkout(shopper.token, [{ skuId: s.skuId, qty: 1 }]);
      await pay(shopper.token, placed.body.payment.id);
      ids.push(placed.body.order.id);
    }
    const held = [ids[0]!, ids[2]!];
    for (const id of held) {
      expect((await api("POST", `/v1/orders/${id}/flag`, { token: ops, body: { note: "check" } })).status).toBe(200);
    }

    const list = async (query: string, token = ops) => {
      const r = await api("GET", `/v1/orders?${query}`, { token });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return r.body as { items: { id: string; held?: boolean }[]; nextCursor: string | null };
    };
    const onlyHeld = await list("held=true");
    expect(onlyHeld.items.map((o) => o.id).sort()).toEqual([...held].sort());
    expect(onlyHeld.items.every((o) => o.held === true)).toBe(true);
    expect((await list("held=false")).items.map((o) => o.id).sort()).toEqual([ids[1]!, ids[3]!].sort());
    const all = await list("");
    expect(Object.fromEntries(all.items.map((o) => [o.id, o.held]))).toEqual(
      Object.fromEntries(ids.map((id) => [id, held.includes(id)])),
    );

    // A page at a time, by the same keys.
    const first = await list("held=true&limit=1");
    const second = await list(`held=true&limit=1&cursor=${first.nextCursor}`);
    expect([...first.items, ...second.items].map((o) => o.id).sort()).toEqual([...held].sort());

    const counts = await api("GET", "/v1/orders/counts?held=true", { token: ops });
    expect(counts.body.total).toBe(2);
    const csv = await api("GET", "/v1/orders/export?held=true&format=csv", { token: ops });
    expect(csv.headers.get("x-export-orders")).toBe("2");

    // A vendor never lists a held order, whatever it asks; a wrong value is a field error.
    expect((await list("held=true", vendor)).items).toEqual([]);
    expect((await list("", vendor)).items.every((o) => o.held === undefined)).toBe(true);
    const bad = await api("GET", "/v1/orders?held=maybe", { token: ops });
    expect(bad.status).toBe(422);
  });
});
