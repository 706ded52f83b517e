import { env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { beginAttempt } from "../../src/checkout/attempt";
import { checkout } from "../../src/checkout/checkout";
import { hourOf } from "../../src/db/vendor-loads";
import { stockObject } from "../../src/gateways/stock";
import { newCustomer, uid } from "../support/api";
import { d1Batches, d1Statements, lost, stockCalls } from "../support/bindings";
import { BENGALURU, shipTo, stockedSku, stockOf } from "../support/marketplace";

/**
 * A retry of a placed checkout (same key, same cart) shares its hold id, so its claims find the
 * order's hold. Whatever fails in the retry afterwards gives back only what the retry itself took:
 * the order keeps its stock.
 */

const background = { waitUntil: () => {} };

function attempt(customer: { customerId: string; token: string }, key: string, skuIds: string[]) {
  return {
    customer: { role: "customer" as const, tokenId: uid("tok_"), customerId: customer.customerId },
    clientAddress: "203.0.113.7",
    idempotencyKey: key,
    body: { lines: skuIds.map((skuId) => ({ skuId, qty: 2 })), shipTo: shipTo(BENGALURU) },
    now: new Date(),
  };
}

/** The Worker's bindings with every D1 batch failing, as a D1 outage does. */
const d1Down = () => d1Batches(() => async () => Promise.reject(new Error("D1_ERROR: Network connection lost.")));

/** The Worker's bindings with the stock object of `skuId` unreachable for claims. */
const claimsLostOn = (skuId: string) =>
  stockCalls({
    reserve: (call, sku) => (sku === skuId ? lost : call),
    reserveMany: (call, sku) => (sku === skuId ? lost : call),
  });

describe("a retry of a placed checkout that fails", () => {
  it("after its claim (D1 down) leaves the order's units held", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 10 }] });
    const shopper = await newCustomer();
    const key = uid("idem-");
    const placed = await checkout(env, background, attempt(shopper, key, [s.skuId]));
    expect(placed.ok).toBe(true);
    expect((await stockOf(s.skuId)).totals).toMatchObject({ held: 2, available: 8 });

    await expect(checkout(d1Down(), background, attempt(shopper, key, [s.skuId]))).rejects.toThrow("D1_ERROR");
    expect((await stockOf(s.skuId)).totals).toMatchObject({ held: 2, available: 8 });
  });

  it("in the claim of another SKU of its cart leaves the order's units of the rest held", async () => {
    const s1 = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 10 }] });
    const s2 = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 10 }] });
    const shopper = await newCustomer();
    const key = uid("idem-");
    const placed = await checkout(env, background, attempt(shopper, key, [s1.skuId, s2.skuId]));
    expect(placed.ok).toBe(true);

    await expect(
      checkout(claimsLostOn(s2.skuId), background, attempt(shopper, key, [s1.skuId, s2.skuId])),
    ).rejects.toThrow("Network connection lost.");
    for (const skuId of [s1.skuId, s2.skuId]) expect((await stockOf(skuId)).totals).toMatchObject({ held: 2 });
  });
});

/**
 * An earlier attempt of `input` (same key and body, so the same hold id) that holds `qty` units of
 * `skuId` in `warehouses` and has not written its order: the hold a retry's claims meet.
 */
async function earlierHold(
  input: ReturnType<typeof attempt>,
  shopper: { customerId: string },
  hold: { skuId: string; qty: number; warehouses: string[] },
) {
  const { holdId } = await beginAttempt(env, background, input);
  const held = await stockObject(env, hold.skuId).reserve({
    ...hold,
    holdId,
    expiresAt: Date.now() + 15 * 60_000,
    customerId: shopper.customerId,
  });
  expect(held.ok).toBe(true);
  return holdId;
}

describe("a duplicate checkout that finds its vendor at capacity", () => {
  it("gives back only what it held itself: the first attempt's hold stays", async () => {
    const s = await stockedSku({ vendor: { hourlyCapacity: 1 }, warehouses: [{ at: BENGALURU, onHand: 10 }] });
    const shopper = await newCustomer();
    const input = attempt(shopper, uid("idem-"), [s.skuId]);
    // The first attempt (same key and body, so the same hold id) has claimed and not yet written its order.
    const holdId = await earlierHold(input, shopper, { skuId: s.skuId, qty: 2, warehouses: s.warehouseIds });
    await env.DB.prepare("insert into vendor_hourly_loads (vendor_id, hour, sub_orders) values (?, ?, 1)")
      .bind(s.vendorId, hourOf(input.now))
      .run();

    const duplicate = await checkout(env, background, input);
    expect(duplicate).toMatchObject({ ok: false, code: "OUT_OF_STOCK" });
    expect(await stockObject(env, s.skuId).holdsOf(holdId)).toEqual([
      expect.objectContaining({ warehouseId: s.warehouseIds[0], qty: 2, status: "held" }),
    ]);
    expect((await stockOf(s.skuId)).totals).toMatchObject({ held: 2, available: 8 });
  });
});

describe("a retry whose earlier attempt holds other quantities under its hold id", () => {
  it("is refused as a 422 and leaves that hold as it is, never a 500", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 10 }] });
    const shopper = await newCustomer();
    const input = attempt(shopper, uid("idem-"), [s.skuId]);
    // The earlier attempt planned the line otherwise (a product line split another way) and died
    // before writing its order: its hold of 1 unit is still live under the same hold id.
    const holdId = await earlierHold(input, shopper, { skuId: s.skuId, qty: 1, warehouses: s.warehouseIds });

    const retry = await checkout(env, background, input);
    expect(retry).toMatchObject({ ok: false, code: "IDEMPOTENCY_KEY_REUSED" });
    expect(await stockObject(env, s.skuId).holdsOf(holdId)).toEqual([
      expect.objectContaining({ qty: 1, status: "held" }),
    ]);
    expect((await stockOf(s.skuId)).totals).toMatchObject({ held: 1, available: 9 });
  });
});

describe("a retry whose earlier attempt holds stock in a warehouse closed since", () => {
  it("is refused as a 422 and leaves that hold to lapse, never a 500", async () => {
    const s = await stockedSku({
      warehouses: [
        { at: BENGALURU, onHand: 10 },
        { at: BENGALURU, onHand: 10 },
      ],
    });
    const [closing, open] = s.warehouseIds as [string, string];
    const shopper = await newCustomer();
    const input = attempt(shopper, uid("idem-"), [s.skuId]);
    const holdId = await earlierHold(input, shopper, { skuId: s.skuId, qty: 2, warehouses: [closing] });
    await env.DB.prepare("update warehouses set status = 'inactive' where id = ?").bind(closing).run();

    const retry = await checkout(env, background, input);
    expect(retry).toMatchObject({ ok: false, code: "IDEMPOTENCY_KEY_REUSED" });
    expect(await stockObject(env, s.skuId).holdsOf(holdId)).toEqual([
      expect.objectContaining({ warehouseId: closing, qty: 2, status: "held" }),
    ]);
    const levels = (await stockOf(s.skuId)).warehouses.map((w) => [w.warehouseId, w.held]);
    expect(new Map(levels as [string, number][]).get(open)).toBe(0);
  });
});

/** The bindings with the checkout's order batch (its eight inserts) failing as `fail` says, after or instead of running. */
const orderWrite = (fail: (run: () => Promise<unknown>) => Promise<unknown>) =>
  d1Batches((batch) => async (...args) => {
    const statements = args[0] as unknown[];
    return statements.length === 8 ? fail(() => batch(...args)) : batch(...args);
  });

/**
 * The bindings with the order batch committing and then D1 lost: its answer fails, and so does
 * every read after it, the lookup of the order under its key among them.
 */
function lostWithOrderWritten(): Env {
  let down = false;
  const connectionLost = () => Promise.reject(new Error("D1_ERROR: Network connection lost."));
  const reads = d1Statements(
    (call) =>
      (...args) =>
        down ? connectionLost() : call(...args),
  );
  const db = new Proxy(reads.DB, {
    get(target, p) {
      if (p === "batch") {
        return async (statements: D1PreparedStatement[]) => {
          const results = await target.batch(statements);
          if (statements.length !== 8) return results;
          down = true;
          return connectionLost();
        };
      }
      const value = Reflect.get(target, p);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { ...reads, DB: db };
}

describe("a checkout whose order batch fails", () => {
  it("committed, its answer lost: answers with its order, and the order keeps its units", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 10 }] });
    const shopper = await newCustomer();
    const input = attempt(shopper, uid("idem-"), [s.skuId]);
    const lostAnswer = orderWrite(async (run) => {
      await run();
      throw new Error("D1_ERROR: Network connection lost.");
    });

    const placed = await checkout(lostAnswer, background, input);
    expect(placed).toMatchObject({ ok: true });
    expect((await stockOf(s.skuId)).totals).toMatchObject({ held: 2, available: 8 });
    const again = await checkout(env, background, input);
    expect(again).toMatchObject({ ok: true, replayed: true });
    expect((await stockOf(s.skuId)).totals).toMatchObject({ held: 2, available: 8 });
  });

  it("committed, its answer lost and the lookup failing too (D1 down): keeps its units for the retry", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 10 }] });
    const shopper = await newCustomer();
    const input = attempt(shopper, uid("idem-"), [s.skuId]);

    await expect(checkout(lostWithOrderWritten(), background, input)).rejects.toThrow("D1_ERROR");
    expect((await stockOf(s.skuId)).totals).toMatchObject({ held: 2, available: 8 });
    const again = await checkout(env, background, input);
    expect(again).toMatchObject({ ok: true, replayed: true });
    expect((await stockOf(s.skuId)).totals).toMatchObject({ held: 2, available: 8 });
  });

  it("while a duplicate wrote the order and it was paid: gives back nothing the paid order holds", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 10 }] });
    const shopper = await newCustomer();
    const input = attempt(shopper, uid("idem-"), [s.skuId]);
    // The first attempt's order write hangs (D1 slow in a rush), then fails.
    let fail!: () => void;
    const failed = new Promise<void>((resolve) => {
      fail = resolve;
    });
    const first = checkout(
      orderWrite(async () => {
        await failed;
        throw new Error("D1_ERROR: overloaded");
      }),
      background,
      input,
    );
    const { holdId } = await beginAttempt(env, background, input);
    await vi.waitFor(async () => expect(await stockObject(env, s.skuId).holdsOf(holdId)).not.toEqual([]));

    // The shopper's app gave up and sent it again: the duplicate writes the order, which is paid.
    const duplicate = await checkout(env, background, input);
    expect(duplicate).toMatchObject({ ok: true });
    expect((await stockObject(env, s.skuId).commit(holdId)).ok).toBe(true);
    fail();
    await first.catch(() => {});

    expect(await stockObject(env, s.skuId).holdsOf(holdId)).toEqual([
      expect.objectContaining({ qty: 2, status: "committed" }),
    ]);
    expect((await stockOf(s.skuId)).totals).toMatchObject({ committed: 2, available: 8 });
  });
});
