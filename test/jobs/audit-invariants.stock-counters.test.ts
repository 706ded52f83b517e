import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { auditInvariants } from "../../src/jobs/audit-invariants";
import { ADMIN, api, newCustomer } from "../support/api";
import { BENGALURU, checkout, expectStockEquation, pay, stockedSku } from "../support/marketplace";

describe("the invariant audit of a stock object's counters", () => {
  it("reports a warehouse whose committed count lost a unit that its hold rows still commit", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }] });
    const shopper = await newCustomer();
    const placed = await checkout(shopper.token, [{ skuId: s.skuId, qty: 3 }]);
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    expect((await pay(shopper.token, placed.body.payment.id)).status).toBe(200);
    await expectStockEquation(s.skuId);
    // The counter says 2 committed while the order's hold rows commit 3: claims would sell 3 where 2 are left.
    const stock = env.SKU_STOCK.get(env.SKU_STOCK.idFromName(s.skuId));
    await runInDurableObject(stock, (_instance, state) => {
      state.storage.sql.exec("UPDATE stock SET committed = committed - 1");
    });

    const { violations } = await auditInvariants(env, new Date());
    expect(violations.filter((v) => v.skuId === s.skuId)).toEqual([
      expect.objectContaining({ kind: "stock_equation", skuId: s.skuId, warehouseId: s.warehouseIds[0] }),
    ]);
    const alerts = await api("GET", "/v1/ops-alerts?limit=200", { token: ADMIN });
    expect(alerts.body.items.filter((a: any) => a.params.skuId === s.skuId)).toEqual([
      expect.objectContaining({ template: "invariant_violated" }),
    ]);
    await expect(expectStockEquation(s.skuId)).rejects.toThrow("counters drifted");
  });
});
