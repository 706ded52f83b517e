import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { SkuStock } from "../../durable-objects/sku-stock";
import type { ReserveRequest, ReserveResult } from "../../durable-objects/sku-stock-rpc";
import { claimStock } from "../../src/gateways/stock";
import { uid } from "../support/api";
import { insertCatalog } from "../support/catalog-rows";

/**
 * The real stock namespace, with every call a claim makes recorded. Claim lanes belong to a
 * namespace, so each test's wrapper shares calls only among that test's own claims.
 */
function recordedStock() {
  const calls: { method: "reserve" | "reserveMany"; claims: number }[] = [];
  const ns = env.SKU_STOCK;
  const wrapped = {
    idFromName: (name: string) => ns.idFromName(name),
    get: (id: DurableObjectId) => {
      const stub = ns.get(id);
      return {
        reserve: (req: ReserveRequest) => {
          calls.push({ method: "reserve", claims: 1 });
          return stub.reserve(req);
        },
        reserveMany: (reqs: ReserveRequest[]) => {
          calls.push({ method: "reserveMany", claims: reqs.length });
          return stub.reserveMany(reqs);
        },
      };
    },
  } as unknown as DurableObjectNamespace<SkuStock>;
  return { recorded: { ...env, SKU_STOCK: wrapped } as Env, calls };
}

async function stockedSku(onHand: number) {
  const vendorId = uid("ven");
  const skuId = uid("sku");
  const warehouseId = uid("wh");
  await insertCatalog(vendorId, skuId, [warehouseId]);
  const stub = env.SKU_STOCK.get(env.SKU_STOCK.idFromName(skuId));
  await stub.setOnHand({ skuId, counts: [{ warehouseId, onHand }], reason: "count", actor: "test" });
  return { skuId, warehouseId, stub };
}

function claimOf(skuId: string, warehouseId: string, holdId: string, qty = 1): ReserveRequest {
  return { skuId, holdId, qty, warehouses: [warehouseId], expiresAt: Date.now() + 600_000 };
}

describe("claims on one SKU shared by concurrent checkouts", () => {
  it("sends 200 concurrent claims in far fewer calls, answers each as its own, and sells exactly the stock", async () => {
    const { skuId, warehouseId, stub } = await stockedSku(150);
    const { recorded, calls } = recordedStock();
    const holdIds = Array.from({ length: 200 }, () => uid("hold"));
    const answers = await Promise.all(
      holdIds.map((holdId) => claimStock(recorded, claimOf(skuId, warehouseId, holdId), undefined)),
    );

    const won = answers.flatMap((a, i) => (a.ok ? [holdIds[i]!] : []));
    expect(won).toHaveLength(150);
    answers.forEach((a, i) => {
      if (a.ok)
        expect(a).toMatchObject({ holdId: holdIds[i], allocations: [{ warehouseId, qty: 1 }], replayed: false });
      else expect(a).toEqual({ ok: false, code: "OUT_OF_STOCK", requested: 1, available: 0 });
    });
    // Each answer is its own claim's: every winner holds its unit, every loser holds nothing.
    for (const [i, holdId] of holdIds.entries()) {
      const rows = await stub.holdsOf(holdId);
      expect(rows.map((r) => r.qty)).toEqual(answers[i]!.ok ? [1] : []);
    }
    const snap = await stub.snapshot();
    expect(snap.totals).toMatchObject({ onHand: 150, held: 150, available: 0 });

    // The first goes alone at once; the rest wait for it and go together.
    expect(calls[0]).toEqual({ method: "reserve", claims: 1 });
    expect(calls.length).toBeLessThan(20);
    expect(calls.reduce((n, c) => n + c.claims, 0)).toBe(200);
  });

  it("repeats a failed shared call claim by claim, so one bad claim fails alone and the others land once", async () => {
    const { skuId, warehouseId, stub } = await stockedSku(100);
    const { recorded, calls } = recordedStock();
    // The 13th asks for no units, which the object throws on.
    const requests = Array.from({ length: 30 }, (_, i) => claimOf(skuId, warehouseId, uid("hold"), i === 13 ? 0 : 1));
    const settled = await Promise.allSettled(requests.map((r) => claimStock(recorded, r, undefined)));

    expect(settled.flatMap((s, i) => (s.status === "rejected" ? [i] : []))).toEqual([13]);
    for (const [i, s] of settled.entries()) {
      if (i === 13) continue;
      expect(s.status === "fulfilled" && (s.value as ReserveResult).ok).toBe(true);
      expect((await stub.holdsOf(requests[i]!.holdId)).map((r) => r.qty)).toEqual([1]);
    }
    expect((await stub.holdsOf(requests[13]!.holdId)).map((r) => r.qty)).toEqual([]);
    expect((await stub.snapshot()).totals).toMatchObject({ onHand: 100, held: 29 });
    // A shared call failed and its claims went again alone.
    expect(calls.some((c) => c.method === "reserveMany")).toBe(true);
    expect(calls.filter((c) => c.method === "reserve").length).toBeGreaterThan(2);
  });
});
