import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ReallocateRequest } from "../../durable-objects/sku-stock-rpc";
import { uid } from "../support/api";
import { BENGALURU, DELHI, expectStockEquation, MUMBAI, stockedSku } from "../support/marketplace";

const stub = (skuId: string) => env.SKU_STOCK.get(env.SKU_STOCK.idFromName(skuId));
const later = () => Date.now() + 3_600_000;

async function stocked() {
  const s = await stockedSku({
    warehouses: [
      { at: BENGALURU, onHand: 5 },
      { at: MUMBAI, onHand: 5 },
      { at: DELHI, onHand: 1 },
    ],
  });
  return { ...s, w: s.warehouseIds as [string, string, string] };
}

const base = (skuId: string, holdId: string): Omit<ReallocateRequest, "key"> => ({
  skuId,
  holdId,
  status: "held",
  expiresAt: later(),
  reason: "test",
  actor: "ops:test",
});

const levels = async (skuId: string) =>
  (await stub(skuId).snapshot()).warehouses.map((w) => [w.warehouseId, w.available, w.held, w.committed]);

describe("SkuStock.reallocate", () => {
  it("moves held units between warehouses in one step, and a retry with the same key changes nothing", async () => {
    const s = await stocked();
    const holdId = uid("hold_");
    expect(
      (await stub(s.skuId).reserve({ skuId: s.skuId, holdId, qty: 3, warehouses: [s.w[0]], expiresAt: later() })).ok,
    ).toBe(true);
    const req: ReallocateRequest = {
      ...base(s.skuId, holdId),
      take: [{ warehouseId: s.w[0], qty: 2 }],
      add: [{ qty: 2, warehouses: [s.w[1]] }],
      key: uid("k"),
    };
    const moved = await stub(s.skuId).reallocate(req);
    expect(moved).toMatchObject({
      ok: true,
      taken: [{ warehouseId: s.w[0], qty: 2 }],
      added: [{ warehouseId: s.w[1], qty: 2 }],
      replayed: false,
    });
    const once = await levels(s.skuId);
    expect(await stub(s.skuId).reallocate(req)).toMatchObject({ ok: true, replayed: true });
    expect(await levels(s.skuId)).toEqual(once);
    expect((await stub(s.skuId).holdsOf(holdId)).map((h) => [h.warehouseId, h.qty, h.status])).toEqual([
      [s.w[0], 1, "held"],
      [s.w[1], 2, "held"],
    ]);
    expect(await stub(s.skuId).reallocate({ ...req, add: [{ qty: 1, warehouses: [s.w[1]] }] })).toEqual({
      ok: false,
      code: "KEY_REUSED",
    });
    await expectStockEquation(s.skuId);
  });

  it("refuses, changing nothing, when the target is short or the units are not held", async () => {
    const s = await stocked();
    const holdId = uid("hold_");
    await stub(s.skuId).reserve({ skuId: s.skuId, holdId, qty: 2, warehouses: [s.w[0]], expiresAt: later() });
    const before = await levels(s.skuId);
    const short = await stub(s.skuId).reallocate({
      ...base(s.skuId, holdId),
      take: [{ warehouseId: s.w[0], qty: 2 }],
      add: [{ qty: 2, warehouses: [s.w[2]] }],
      key: uid("k"),
    });
    expect(short).toEqual({ ok: false, code: "OUT_OF_STOCK", requested: 2, available: 1 });
    const notHeld = await stub(s.skuId).reallocate({
      ...base(s.skuId, holdId),
      take: [{ warehouseId: s.w[1], qty: 1 }],
      add: [{ qty: 1, warehouses: [s.w[0]] }],
      key: uid("k"),
    });
    expect(notHeld).toMatchObject({ ok: false, code: "NOT_HELD", warehouseId: s.w[1], held: 0 });
    expect(await levels(s.skuId)).toEqual(before);
    expect((await stub(s.skuId).holdsOf(holdId)).map((h) => [h.warehouseId, h.qty])).toEqual([[s.w[0], 2]]);
  });

  it("adds committed units to a paid order's hold, and takes a SKU's units out entirely", async () => {
    const s = await stocked();
    const holdId = uid("hold_");
    const joined = await stub(s.skuId).reallocate({
      ...base(s.skuId, holdId),
      status: "committed",
      add: [{ qty: 6, warehouses: [s.w[0], s.w[1]] }],
      key: uid("k"),
    });
    expect(joined).toMatchObject({
      ok: true,
      added: [
        { warehouseId: s.w[0], qty: 5 },
        { warehouseId: s.w[1], qty: 1 },
      ],
    });
    expect((await stub(s.skuId).holdsOf(holdId)).every((h) => h.status === "committed")).toBe(true);
    expect((await stub(s.skuId).snapshot()).totals).toMatchObject({ committed: 6, held: 0, available: 5 });
    const out = await stub(s.skuId).reallocate({
      ...base(s.skuId, holdId),
      take: [
        { warehouseId: s.w[0], qty: 5 },
        { warehouseId: s.w[1], qty: 1 },
      ],
      key: uid("k"),
    });
    expect(out).toMatchObject({ ok: true, allocations: [] });
    expect(await stub(s.skuId).holdsOf(holdId)).toEqual([]);
    expect((await stub(s.skuId).snapshot()).totals).toMatchObject({ committed: 0, available: 11 });
    await expectStockEquation(s.skuId);
  });
});

describe("SkuStock.reallocate with units set aside for the move", () => {
  it("passes the set-aside units to the hold in one call: claims fired alongside never get them", async () => {
    for (let round = 0; round < 5; round++) {
      const s = await stocked();
      const [holdId, aside] = [uid("order_"), uid("aside_")];
      const last = s.w[2]; // one unit on hand
      await stub(s.skuId).reserve({ skuId: s.skuId, holdId: aside, qty: 1, warehouses: [last], expiresAt: later() });
      const claims = Array.from({ length: 30 }, () =>
        stub(s.skuId).reserve({
          skuId: s.skuId,
          holdId: uid("shopper_"),
          qty: 1,
          warehouses: [last],
          expiresAt: later(),
        }),
      );
      const moved = stub(s.skuId).reallocate({
        ...base(s.skuId, holdId),
        status: "committed",
        add: [{ qty: 1, warehouses: [last] }],
        setAside: aside,
        key: uid("k"),
      });
      const [move, ...claimed] = await Promise.all([moved, ...claims]);
      expect(move).toMatchObject({ ok: true, added: [{ warehouseId: last, qty: 1 }] });
      expect(claimed.filter((c) => c.ok)).toEqual([]);
      expect((await stub(s.skuId).holdsOf(aside)).map((h) => h.status)).toEqual(["released"]);
      expect((await stub(s.skuId).holdsOf(holdId)).map((h) => [h.warehouseId, h.qty, h.status])).toEqual([
        [last, 1, "committed"],
      ]);
      const at = (await expectStockEquation(s.skuId)).warehouses.find((w) => w.warehouseId === last);
      expect(at).toMatchObject({ onHand: 1, available: 0, held: 0, committed: 1 });
    }
  });

  it("keeps the units set aside when refused, and one that lapsed frees nothing", async () => {
    const s = await stocked();
    const [holdId, aside] = [uid("order_"), uid("aside_")];
    const last = s.w[2];
    await stub(s.skuId).reserve({ skuId: s.skuId, holdId: aside, qty: 1, warehouses: [last], expiresAt: later() });
    const move = {
      ...base(s.skuId, holdId),
      status: "committed" as const,
      add: [{ qty: 1, warehouses: [last] }],
      setAside: aside,
    };
    const before = await levels(s.skuId);
    expect(
      await stub(s.skuId).reallocate({ ...move, take: [{ warehouseId: s.w[0], qty: 1 }], key: uid("k") }),
    ).toMatchObject({ ok: false, code: "NOT_HELD" });
    expect(await levels(s.skuId)).toEqual(before);
    expect((await stub(s.skuId).holdsOf(aside)).map((h) => h.status)).toEqual(["held"]);

    await stub(s.skuId).release(aside, "hold_expired");
    await stub(s.skuId).reserve({
      skuId: s.skuId,
      holdId: uid("shopper_"),
      qty: 1,
      warehouses: [last],
      expiresAt: later(),
    });
    expect(await stub(s.skuId).reallocate({ ...move, key: uid("k") })).toEqual({
      ok: false,
      code: "OUT_OF_STOCK",
      requested: 1,
      available: 0,
    });
    expect(await stub(s.skuId).holdsOf(holdId)).toEqual([]);
  });
});
