import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { reserveAll } from "../../src/gateways/stock";
import { uid } from "../support/api";
import { type Call, stockCalls } from "../support/bindings";
import { insertCatalog } from "../support/catalog-rows";

const HOUR = 3600_000;
const stub = (skuId: string) => env.SKU_STOCK.get(env.SKU_STOCK.idFromName(skuId));

/** A SKU of 10 units in one warehouse. */
async function sku() {
  const [vendorId, skuId, wh] = [uid("ven"), uid("sku"), uid("wh")];
  await insertCatalog(vendorId, skuId, [wh]);
  expect(
    (await stub(skuId).setOnHand({ skuId, counts: [{ warehouseId: wh, onHand: 10 }], reason: "count", actor: "t" })).ok,
  ).toBe(true);
  return { skuId, wh };
}

describe("reserveAll's clean-up after a refused claim", () => {
  it("leaves a hold that another request under the same hold id paid for meanwhile", async () => {
    // A late payment: the order's holds on A and B lapsed, and two applications of the payment (its
    // webhook and the expiry job's check) re-reserve them at once under the order's hold id.
    const [a, b] = [await sku(), await sku()];
    const holdId = uid("hold");
    const claim = (s: { skuId: string; wh: string }) => ({
      skuId: s.skuId,
      qty: 2,
      warehouses: [s.wh],
      expiresAt: Date.now() + HOUR,
      reopen: true,
    });
    for (const s of [a, b]) {
      expect((await stub(s.skuId).reserve({ ...claim(s), holdId })).ok).toBe(true);
      expect((await stub(s.skuId).release(holdId, "hold_expired")).ok).toBe(true);
    }

    // The second application's claim on A is slow; its claim on B lands at once.
    let openGate = () => {};
    const gate = new Promise<void>((resolve) => {
      openGate = resolve;
    });
    const slowA = stockCalls({
      reserve:
        (call: Call, skuId: string) =>
        async (...args) => {
          if (skuId === a.skuId) await gate;
          return call(...args);
        },
    });
    const second = reserveAll(slowA, holdId, [claim(a), claim(b)]);
    for (let i = 0; i < 200 && (await stub(b.skuId).holdsOf(holdId))[0]?.status !== "held"; i++) {
      await new Promise((r) => setTimeout(r, 5));
    }

    // Meanwhile the first application re-reserves A, finds B held under the id, and commits both.
    const first = await reserveAll(env, holdId, [claim(a), claim(b)]);
    expect(first.ok && [...first.replayed]).toEqual([b.skuId]);
    for (const s of [a, b]) expect((await stub(s.skuId).commit(holdId)).ok).toBe(true);

    // The second's claim on A now finds the hold paid (closed to it) and it gives back what it took.
    openGate();
    const refused = await second;
    expect(refused.ok).toBe(false);
    for (const s of [a, b]) {
      expect((await stub(s.skuId).holdsOf(holdId)).map((h) => h.status)).toEqual(["committed"]);
      const level = (await stub(s.skuId).snapshot()).warehouses[0]!;
      expect([level.committed, level.available]).toEqual([2, 8]);
    }
  });
});
