import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { SkuStock } from "../../durable-objects/sku-stock";
import { uid } from "../support/api";
import { insertCatalog } from "../support/catalog-rows";

const HOUR = 3600_000;

/** Catalog rows in D1, so the object's mirror (which references them) can land. */
async function seedCatalog(warehouseCount: number, opts: { inD1?: boolean } = {}) {
  const vendorId = uid("ven");
  const skuId = uid("sku");
  const whs = Array.from({ length: warehouseCount }, () => uid("wh"));
  if (opts.inD1 !== false) await insertCatalog(vendorId, skuId, whs);
  return { vendorId, skuId, whs, stub: stubOf(skuId) };
}

function stubOf(skuId: string): DurableObjectStub<SkuStock> {
  return env.SKU_STOCK.get(env.SKU_STOCK.idFromName(skuId));
}

async function stocked(levels: number[], opts: { inD1?: boolean } = {}) {
  const c = await seedCatalog(levels.length, opts);
  for (const [i, onHand] of levels.entries()) {
    const r = await c.stub.setOnHand({
      skuId: c.skuId,
      counts: [{ warehouseId: c.whs[i]!, onHand }],
      reason: "count",
      actor: "test",
    });
    expect(r.ok).toBe(true);
  }
  return c;
}

const later = () => Date.now() + HOUR;

/** Runs the alarm handler now, whether or not the scheduled one already fired. */
function runAlarm(stub: DurableObjectStub<SkuStock>) {
  return runInDurableObject(stub, (o: SkuStock) => o.alarm());
}

function expectInvariant(snap: {
  warehouses: { onHand: number; available: number; held: number; committed: number }[];
}) {
  for (const w of snap.warehouses) {
    expect(w.onHand).toBe(w.available + w.held + w.committed);
    expect(Math.min(w.onHand, w.available, w.held, w.committed)).toBeGreaterThanOrEqual(0);
  }
}

describe("SkuStock levels", () => {
  it("sets and adjusts on-hand, refusing to go below held + committed", async () => {
    const { skuId, whs, stub } = await stocked([10]);
    const wh = whs[0]!;
    const up = await stub.adjust({ skuId, warehouseId: wh, delta: 5, reason: "restock", actor: "v1" });
    expect(up).toMatchObject({ ok: true, warehouse: { warehouseId: wh, onHand: 15, available: 15 } });

    const r = await stub.reserve({ skuId, holdId: uid("h"), qty: 6, warehouses: [wh], expiresAt: later() });
    expect(r.ok).toBe(true);
    const c = await stub.reserve({ skuId, holdId: uid("h"), qty: 3, warehouses: [wh], expiresAt: later() });
    if (!c.ok) throw new Error("reserve failed");
    expect((await stub.commit(c.holdId)).ok).toBe(true);

    const version = (await stub.snapshot()).warehouses[0]!.version;
    const counts = [{ warehouseId: wh, onHand: 8, expectedVersion: version }];
    expect(await stub.setOnHand({ skuId, counts, reason: "count", actor: "v1" })).toEqual({
      ok: false,
      code: "STOCK_BELOW_RESERVED",
      warehouseId: wh,
      minimum: 9,
    });
    expect(await stub.adjust({ skuId, warehouseId: wh, delta: -7, reason: "damage", actor: "v1" })).toEqual({
      ok: false,
      code: "STOCK_BELOW_RESERVED",
      minimum: 9,
    });
    const ok = await stub.adjust({ skuId, warehouseId: wh, delta: -6, reason: "damage", actor: "v1" });
    expect(ok).toMatchObject({ ok: true, warehouse: { onHand: 9, available: 0, held: 6, committed: 3 } });

    const snap = await stub.snapshot();
    expect(snap.skuId).toBe(skuId);
    expect(snap.totals).toEqual({ onHand: 9, available: 0, held: 6, committed: 3 });
    expectInvariant(snap);

    const ledger = await stub.ledger(10);
    expect(ledger.map((e) => e.kind)).toEqual(["adjust", "commit", "reserve", "reserve", "adjust", "set"]);
    expect(ledger[0]).toMatchObject({ kind: "adjust", qty: -6, onHandAfter: 9, reason: "damage", actor: "v1" });
  });

  it("creates a warehouse row on first set and never lets on-hand go negative", async () => {
    const { skuId, whs, stub } = await stocked([0]);
    const fresh = uid("wh");
    expect(await stub.adjust({ skuId, warehouseId: fresh, delta: -1, reason: "damage", actor: "t" })).toEqual({
      ok: false,
      code: "STOCK_BELOW_RESERVED",
      minimum: 0,
    });
    expect((await stub.snapshot()).warehouses.map((w) => w.warehouseId)).toEqual([whs[0]]);
    const counts = [{ warehouseId: whs[0]!, onHand: 0, expectedVersion: 1 }];
    const r = await stub.setOnHand({ skuId, counts, reason: "count", actor: "t" });
    expect(r).toMatchObject({ ok: true, snapshot: { warehouses: [{ onHand: 0, version: 2 }] } });
  });

  it("applies an adjustment once per idempotency key and refuses the key with another body", async () => {
    const { skuId, whs, stub } = await stocked([10]);
    const input = {
      skuId,
      warehouseId: whs[0]!,
      delta: 4,
      reason: "restock" as const,
      actor: "t",
      idempotencyKey: uid("k"),
    };
    const first = await stub.adjust(input);
    const again = await stub.adjust(input);
    expect(first).toMatchObject({ ok: true, replayed: false, warehouse: { onHand: 14 } });
    expect(again).toEqual({ ...first, replayed: true });
    expect(await stub.adjust({ ...input, delta: 5 })).toEqual({ ok: false, code: "IDEMPOTENCY_KEY_REUSED" });
    expect((await stub.snapshot()).totals.onHand).toBe(14);
  });

  it("refuses a call meant for another SKU (a routing bug) without changing anything", async () => {
    const { skuId, whs, stub } = await stocked([3]);
    // Called in place: a bug is an exception, and over RPC it would surface as an uncaught rejection.
    await runInDurableObject(stub, (o: SkuStock) => {
      expect(() =>
        o.setOnHand({ skuId: `${skuId}x`, counts: [{ warehouseId: whs[0]!, onHand: 1 }], reason: "count", actor: "t" }),
      ).toThrow(/holds stock of/);
    });
    expect((await stub.snapshot()).totals.onHand).toBe(3);
  });
});

describe("SkuStock reserve", () => {
  it("is all or nothing: a short request changes nothing", async () => {
    const { skuId, whs, stub } = await stocked([2, 1]);
    const holdId = uid("h");
    const r = await stub.reserve({ skuId, holdId, qty: 5, warehouses: whs, expiresAt: later() });
    expect(r).toEqual({ ok: false, code: "OUT_OF_STOCK", requested: 5, available: 3 });
    expect((await stub.snapshot()).totals).toEqual({ onHand: 3, available: 3, held: 0, committed: 0 });
    expect(await stub.holdsOf(holdId)).toEqual([]);
  });

  it("takes the first ranked warehouse that covers the whole line, else splits in ranked order", async () => {
    const { skuId, whs, stub } = await stocked([2, 5, 5]);
    const [w1, w2, w3] = whs as [string, string, string];
    const whole = await stub.reserve({ skuId, holdId: uid("h"), qty: 4, warehouses: [w1, w3, w2], expiresAt: later() });
    expect(whole).toMatchObject({ ok: true, allocations: [{ warehouseId: w3, qty: 4 }], replayed: false });

    const split = await stub.reserve({ skuId, holdId: uid("h"), qty: 3, warehouses: [w1, w3], expiresAt: later() });
    expect(split).toMatchObject({
      ok: true,
      allocations: [
        { warehouseId: w1, qty: 2 },
        { warehouseId: w3, qty: 1 },
      ],
    });
    // Only listed warehouses may be used; unknown ones count as empty.
    const onlyListed = await stub.reserve({
      skuId,
      holdId: uid("h"),
      qty: 1,
      warehouses: [uid("wh"), w1],
      expiresAt: later(),
    });
    expect(onlyListed).toEqual({ ok: false, code: "OUT_OF_STOCK", requested: 1, available: 0 });
    const snap = await stub.snapshot();
    const byId = Object.fromEntries(snap.warehouses.map((w) => [w.warehouseId, [w.available, w.held]]));
    expect(byId).toEqual({ [w1]: [0, 2], [w2]: [5, 0], [w3]: [0, 5] });
    expectInvariant(snap);
  });

  it("is idempotent per hold id and does not extend a replayed hold", async () => {
    const { skuId, whs, stub } = await stocked([3, 3]);
    const holdId = uid("h");
    const expiresAt = later();
    const req = { skuId, holdId, qty: 4, warehouses: whs, expiresAt };
    const first = await stub.reserve(req);
    const again = await stub.reserve({ ...req, expiresAt: expiresAt + HOUR });
    expect(first.ok && again.ok).toBe(true);
    expect(again).toEqual({ ...first, replayed: true });
    expect((await stub.snapshot()).totals.held).toBe(4);
    expect((await stub.holdsOf(holdId)).map((h) => h.expiresAt)).toEqual([expiresAt, expiresAt]);
  });

  it("gives a hold back its own held units when asked for the levels it may claim", async () => {
    const { skuId, whs, stub } = await stocked([2, 1]);
    const mine = uid("h");
    const theirs = uid("h");
    await stub.reserve({ skuId, holdId: mine, qty: 2, warehouses: whs, expiresAt: later() });
    await stub.reserve({ skuId, holdId: theirs, qty: 1, warehouses: whs, expiresAt: later() });
    const levels = (w: { warehouses: { warehouseId: string; available: number }[] }) =>
      whs.map((id) => w.warehouses.find((x) => x.warehouseId === id)?.available);
    expect(levels(await stub.snapshot())).toEqual([0, 0]);
    expect(await stub.levelsForHold(mine)).toMatchObject({ used: true });
    expect(levels(await stub.levelsForHold(mine))).toEqual([2, 0]);
    expect(levels(await stub.levelsForHold(theirs))).toEqual([0, 1]);
    expect(await stub.levelsForHold(uid("h"))).toMatchObject({ used: false });

    // Once paid, the units are sold: the hold id is known, nothing comes back to it.
    await stub.commit(mine);
    const paid = await stub.levelsForHold(mine);
    expect(paid.used).toBe(true);
    expect(levels(paid)).toEqual([0, 0]);
  });

  it("commits, ships and releases idempotently with the documented refusals", async () => {
    const { skuId, whs, stub } = await stocked([10]);
    const wh = whs[0]!;
    const reserve = (holdId: string, extra = {}) =>
      stub.reserve({ skuId, holdId, qty: 2, warehouses: [wh], expiresAt: later(), ...extra });
    const alloc = [{ warehouseId: wh, qty: 2 }];

    expect(await stub.commit(uid("nope"))).toEqual({ ok: false, code: "HOLD_NOT_FOUND" });
    expect(await stub.ship(uid("nope"))).toEqual({ ok: false, code: "HOLD_NOT_FOUND" });
    expect(await stub.release(uid("nope"), "cancel")).toEqual({ ok: true, allocations: [] });

    const a = uid("h");
    await reserve(a);
    expect(await stub.ship(a)).toEqual({ ok: false, code: "NOT_COMMITTED" });
    expect(await stub.commit(a)).toEqual({ ok: true, allocations: alloc });
    expect(await stub.commit(a)).toEqual({ ok: true, allocations: alloc });
    expect(await reserve(a)).toEqual({ ok: false, code: "HOLD_CLOSED", status: "committed" });
    expect((await stub.snapshot()).totals).toEqual({ onHand: 10, available: 8, held: 0, committed: 2 });
    expect(await stub.ship(a)).toEqual({ ok: true, allocations: alloc });
    expect(await stub.ship(a)).toEqual({ ok: true, allocations: alloc });
    expect(await stub.release(a, "cancel")).toEqual({ ok: false, code: "ALREADY_SHIPPED" });
    expect(await reserve(a)).toEqual({ ok: false, code: "HOLD_CLOSED", status: "shipped" });
    expect((await stub.snapshot()).totals).toEqual({ onHand: 8, available: 8, held: 0, committed: 0 });

    const b = uid("h");
    await reserve(b);
    await stub.commit(b);
    expect(await stub.release(b, "cancelled_after_payment")).toEqual({ ok: true, allocations: alloc });
    expect(await stub.release(b, "cancelled_after_payment")).toEqual({ ok: true, allocations: alloc });
    expect(await stub.commit(b)).toEqual({ ok: false, code: "HOLD_RELEASED" });
    expect(await stub.ship(b)).toEqual({ ok: false, code: "NOT_COMMITTED" });
    expect(await reserve(b)).toEqual({ ok: false, code: "HOLD_CLOSED", status: "released" });
    expect((await stub.snapshot()).totals).toEqual({ onHand: 8, available: 8, held: 0, committed: 0 });

    const reopened = await reserve(b, { reopen: true });
    expect(reopened).toMatchObject({ ok: true, allocations: alloc, replayed: false });
    expect((await stub.holdsOf(b)).map((h) => h.status)).toEqual(["held"]);
    expect((await stub.snapshot()).totals).toEqual({ onHand: 8, available: 6, held: 2, committed: 0 });
    expectInvariant(await stub.snapshot());
  });

  it("caps a customer's held + committed units, counting the request, not shipped ones", async () => {
    const { skuId, whs, stub } = await stocked([20]);
    const customerId = uid("cus");
    const reserve = (holdId: string, qty: number) =>
      stub.reserve({ skuId, holdId, qty, warehouses: whs, expiresAt: later(), customerId, maxUnitsPerCustomer: 3 });
    const a = uid("h");
    expect((await reserve(a, 2)).ok).toBe(true);
    expect(await reserve(uid("h"), 2)).toEqual({ ok: false, code: "CUSTOMER_LIMIT", limit: 3, current: 2 });
    await stub.commit(a);
    expect(await reserve(uid("h"), 2)).toEqual({ ok: false, code: "CUSTOMER_LIMIT", limit: 3, current: 2 });
    await stub.ship(a);
    const b = uid("h");
    expect((await reserve(b, 3)).ok).toBe(true);
    // A replay of a hold already counted is not refused by its own units.
    expect(await reserve(b, 3)).toMatchObject({ ok: true, replayed: true });
    // Other customers are not affected.
    const other = await stub.reserve({
      skuId,
      holdId: uid("h"),
      qty: 3,
      warehouses: whs,
      expiresAt: later(),
      customerId: uid("cus"),
      maxUnitsPerCustomer: 3,
    });
    expect(other.ok).toBe(true);
  });

  it("caps the units held unpaid from one client address across its customers; paid, released and lapsed holds stop counting", async () => {
    const { skuId, whs, stub } = await stocked([50]);
    const address = uid("addr-");
    const reserve = (holdId: string, qty: number, expiresAt = later(), from = address) =>
      stub.reserve({
        skuId,
        holdId,
        qty,
        warehouses: whs,
        expiresAt,
        customerId: uid("cus"),
        clientAddress: from,
        maxUnitsPerAddress: 10,
      });
    const [paid, released, lapsing, open] = [uid("h"), uid("h"), uid("h"), uid("h")];
    expect((await reserve(paid, 4)).ok).toBe(true);
    expect((await reserve(released, 3)).ok).toBe(true);
    expect((await reserve(lapsing, 2, Date.now() + 150)).ok).toBe(true);
    const refused = await reserve(uid("h"), 2);
    expect(refused).toMatchObject({ ok: false, code: "ADDRESS_LIMIT", limit: 10, current: 9 });
    if (refused.ok || refused.code !== "ADDRESS_LIMIT") throw new Error("expected an address refusal");
    // Until the earliest counted hold lapses.
    expect(refused.retryAfterMs).toBeLessThanOrEqual(150);
    // A refusal holds nothing; a replay of a counted hold is not refused by its own units.
    expect((await stub.snapshot()).totals).toMatchObject({ held: 9, available: 41 });
    expect(await reserve(paid, 4)).toMatchObject({ ok: true, replayed: true });
    // Another address is not affected.
    expect((await reserve(uid("h"), 10, later(), `${address}-other`)).ok).toBe(true);

    await stub.commit(paid);
    await stub.release(released, "cancel");
    await new Promise((r) => setTimeout(r, 200));
    expect((await reserve(open, 10)).ok).toBe(true);
    expect(await reserve(uid("h"), 1)).toMatchObject({ ok: false, code: "ADDRESS_LIMIT", current: 10 });
    expectInvariant(await stub.snapshot());
  });
});

describe("SkuStock alarm", () => {
  it("releases only expired held holds, never committed ones, and is safe to run twice", async () => {
    const { skuId, whs, stub } = await stocked([10]);
    const [expired, paid, open] = [uid("h"), uid("h"), uid("h")];
    const openUntil = later();
    // One synchronous block, so the real alarm cannot run between the reserve and the commit.
    await runInDurableObject(stub, (o: SkuStock) => {
      const past = Date.now() - 1000;
      o.reserve({ skuId, holdId: expired, qty: 1, warehouses: whs, expiresAt: past });
      o.reserve({ skuId, holdId: paid, qty: 2, warehouses: whs, expiresAt: past });
      o.commit(paid);
      o.reserve({ skuId, holdId: open, qty: 3, warehouses: whs, expiresAt: openUntil });
    });
    await runAlarm(stub);
    await runAlarm(stub);
    expect((await stub.holdsOf(expired))[0]?.status).toBe("released");
    expect((await stub.holdsOf(paid))[0]?.status).toBe("committed");
    expect((await stub.holdsOf(open))[0]?.status).toBe("held");
    const snap = await stub.snapshot();
    expect(snap.totals).toEqual({ onHand: 10, available: 5, held: 3, committed: 2 });
    expectInvariant(snap);
    const ledger = await stub.ledger(50);
    expect(ledger.filter((e) => e.kind === "release").map((e) => [e.holdId, e.reason])).toEqual([
      [expired, "hold_expired"],
    ]);
    // With the mirror flushed, the one alarm left is the open hold's expiry.
    expect(await runInDurableObject(stub, (_o: SkuStock, state) => state.storage.getAlarm())).toBe(openUntil);
  });

  it("schedules its alarm at the earliest expiry, through the platform's alarm", async () => {
    const { skuId, whs, stub } = await stocked([4]);
    const holdId = uid("h");
    await stub.reserve({ skuId, holdId, qty: 4, warehouses: whs, expiresAt: Date.now() - 1 });
    // The alarm is due already: either it has fired on its own or this runs it now.
    await runDurableObjectAlarm(stub);
    expect((await stub.holdsOf(holdId))[0]?.status).toBe("released");
    expect((await stub.snapshot()).totals.available).toBe(4);
    // Nothing due: running it again changes nothing.
    await runDurableObjectAlarm(stub);
    await runAlarm(stub);
    expect((await stub.snapshot()).totals).toEqual({ onHand: 4, available: 4, held: 0, committed: 0 });
  });

  it("lets a late payment commit a hold the alarm has not released yet", async () => {
    const { skuId, whs, stub } = await stocked([2]);
    const holdId = uid("h");
    const r = await runInDurableObject(stub, (o: SkuStock) => {
      o.reserve({ skuId, holdId, qty: 2, warehouses: whs, expiresAt: Date.now() - 1 });
      return o.commit(holdId);
    });
    expect(r.ok).toBe(true);
    await runAlarm(stub);
    expect((await stub.holdsOf(holdId))[0]?.status).toBe("committed");
  });
});

describe("SkuStock D1 mirror", () => {
  type Level = {
    warehouse_id: string;
    on_hand: number;
    available: number;
    held: number;
    committed: number;
    version: number;
  };
  const mirror = async (skuId: string) =>
    (
      await env.DB.prepare(
        "SELECT warehouse_id, on_hand, available, held, committed, version, updated_at FROM stock_levels WHERE sku_id = ? ORDER BY warehouse_id",
      )
        .bind(skuId)
        .all<Level & { updated_at: string }>()
    ).results;

  it("lands after the alarm, matches the object, and never goes backwards", async () => {
    const { skuId, whs, stub } = await stocked([5, 7]);
    await stub.reserve({ skuId, holdId: uid("h"), qty: 6, warehouses: whs, expiresAt: later() });
    await runAlarm(stub);
    const snap = await stub.snapshot();
    const rows = await mirror(skuId);
    expect(rows.map(({ updated_at, ...r }) => r)).toEqual(
      snap.warehouses.map((w) => ({
        warehouse_id: w.warehouseId,
        on_hand: w.onHand,
        available: w.available,
        held: w.held,
        committed: w.committed,
        version: snap.version,
      })),
    );
    expect(rows[0]?.updated_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    // A newer version already in D1 (say, from a flush that raced ahead) is never overwritten.
    await env.DB.prepare("UPDATE stock_levels SET version = version + 1000, on_hand = 999 WHERE sku_id = ?")
      .bind(skuId)
      .run();
    await stub.adjust({ skuId, warehouseId: whs[0]!, delta: 1, reason: "restock", actor: "t" });
    await runAlarm(stub);
    expect((await mirror(skuId)).map((r) => r.on_hand)).toEqual([999, 999]);

    const dirty = await runInDurableObject(
      stub,
      (_o: SkuStock, state) => state.storage.sql.exec<{ d: number }>("SELECT mirror_dirty AS d FROM meta").one().d,
    );
    expect(dirty).toBe(0);
  });

  it("coalesces claims into one flush and keeps versions increasing", async () => {
    const { skuId, whs, stub } = await stocked([50]);
    const due = await runInDurableObject(stub, async (o: SkuStock, state) => {
      o.adjust({ skuId, warehouseId: whs[0]!, delta: 1, reason: "restock", actor: "t" });
      o.adjust({ skuId, warehouseId: whs[0]!, delta: -1, reason: "damage", actor: "t" });
      return { after: Date.now(), alarm: await state.storage.getAlarm() };
    });
    // Never a D1 write per change: one alarm within the coalescing window covers them all.
    expect(due.alarm).not.toBeNull();
    expect(due.alarm!).toBeLessThanOrEqual(due.after + 500);
    await runAlarm(stub);
    const before = (await mirror(skuId))[0]!.version;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        stub.reserve({ skuId, holdId: uid("h"), qty: 1, warehouses: whs, expiresAt: later() }),
      ),
    );
    await runAlarm(stub);
    const after = (await mirror(skuId))[0]!;
    expect(after.version).toBeGreaterThanOrEqual(before + 20);
    expect(after).toMatchObject({ on_hand: 50, available: 30, held: 20 });
  });

  it("stays dirty when D1 refuses the write and lands on a later alarm", async () => {
    // The catalog rows are missing at first, so the mirror's foreign keys make D1 refuse the batch.
    const c = await stocked([3], { inD1: false });
    await runAlarm(c.stub);
    expect(await mirror(c.skuId)).toEqual([]);
    const meta = await runInDurableObject(c.stub, (_o: SkuStock, state) =>
      state.storage.sql
        .exec<{ d: number; f: number }>("SELECT mirror_dirty AS d, mirror_failures AS f FROM meta")
        .one(),
    );
    expect(meta.d).toBe(1);
    expect(meta.f).toBeGreaterThanOrEqual(1);
    expect(await runInDurableObject(c.stub, (_o: SkuStock, state) => state.storage.getAlarm())).not.toBeNull();

    await insertCatalog(c.vendorId, c.skuId, c.whs);
    await runAlarm(c.stub);
    expect((await mirror(c.skuId)).map((r) => r.on_hand)).toEqual([3]);
    expect((await c.stub.snapshot()).totals.onHand).toBe(3);
  });
});
