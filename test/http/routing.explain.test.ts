import { describe, expect, it } from "vitest";
import { api, newCustomer, tokenFor } from "../support/api";
import { BENGALURU, stockedSku } from "../support/marketplace";
import { east, order } from "./routing.fixtures";

describe("the routing record of an order", () => {
  it("never says one warehouse held a line its stock object split", async () => {
    // One SKU line, one vendor: routing ranks without reading stock and the SKU's object decides.
    const s = await stockedSku({
      warehouses: [
        { at: east(BENGALURU, 2), onHand: 6 },
        { at: east(BENGALURU, 30), onHand: 6 },
      ],
    });
    const shopper = await newCustomer();
    const r = await order(shopper.token, [{ skuId: s.skuId, qty: 10 }]);
    expect(r.status).toBe(201);

    const seen = await api("GET", `/v1/orders/${r.body.order.id}`, { token: await tokenFor("ops") });
    const [line] = seen.body.routing.lines;
    expect(line.chosen).toEqual([
      expect.objectContaining({ warehouseId: s.warehouseIds[0], qty: 6 }),
      expect.objectContaining({ warehouseId: s.warehouseIds[1], qty: 4 }),
    ]);
    expect(line.reason).not.toContain("held all 10");
    expect(line.reason).toContain(`6 from ${s.warehouseIds[0]}`);
    expect(line.reason).toContain(`4 from ${s.warehouseIds[1]}`);
  });
});
