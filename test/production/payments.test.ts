import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { newCustomer, uid } from "../support/api";
import { checkout, stockedSku, stockOf } from "../support/marketplace";

describe("production without Stripe keys", () => {
  it("refuses checkout with a clear problem, holding and writing nothing", async () => {
    const sku = await stockedSku({ warehouses: [{ at: { lat: 12.9716, lng: 77.5946 }, onHand: 5 }] });
    const shopper = await newCustomer();
    const key = uid("idem-");
    const r = await checkout(shopper.token, [{ skuId: sku.skuId, qty: 2 }], key);
    expect(r.status).toBe(503);
    expect(r.headers.get("content-type")).toContain("application/problem+json");
    expect(r.body).toMatchObject({ code: "PAYMENTS_NOT_CONFIGURED", status: 503 });

    expect((await stockOf(sku.skuId)).totals).toMatchObject({ onHand: 5, available: 5, held: 0, committed: 0 });
    const stub = env.SKU_STOCK.get(env.SKU_STOCK.idFromName(sku.skuId));
    expect((await stub.ledger(100)).filter((e) => e.kind !== "set")).toEqual([]);
    const count = async (sql: string, ...binds: unknown[]) =>
      (
        await env.DB.prepare(sql)
          .bind(...binds)
          .first<{ n: number }>()
      )?.n;
    expect(await count("select count(*) as n from orders where customer_id = ?", shopper.customerId)).toBe(0);
    expect(await count("select count(*) as n from idempotency_keys where key = ?", key)).toBe(0);
  });
});
