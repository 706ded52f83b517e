import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { database } from "../../src/db/client";
import { journalsOfOrder } from "../../src/db/ledger";
import { dueSubOrders } from "../../src/db/payouts";
import { balanceOf } from "../../src/domain/ledger";
import { retryPendingRefunds } from "../../src/jobs/pending-refunds";
import { behaveFor, deliver, failRefund, fakeRefunds } from "../stripe-fake/control";
import { ADMIN, api, tokenFor, uid } from "../support/api";
import { stockOf } from "../support/marketplace";
import { deliveredThroughStripe, ON_HAND, step } from "../support/stripe-orders";

/**
 * A return's refund is owed like a cancel's: written with the return's claim, paid under the
 * return's own key, retried by the `pending-refunds` job and listed for ops when the provider
 * fails; and a retry of the return's key does what its claim says, never what a new body says.
 */

type Order = Awaited<ReturnType<typeof deliveredThroughStripe>>;

const returnOf = (o: Order, key: string, qty: number, restockable = false) =>
  step(
    o.token,
    o.sub,
    "return",
    { lines: [{ lineId: o.lineId, qty, restockable }], reason: "damaged" },
    { "Idempotency-Key": key },
  );

/** What D1, the ledger and the provider hold of the sub-order's refunds. */
async function moneyOf(o: Order) {
  const [line, refunds, notes, payment, owed] = await env.DB.batch<any>([
    env.DB.prepare("select returned_qty from line_items where id = ?").bind(o.lineId),
    env.DB.prepare("select amount_minor from refunds where sub_order_id = ?").bind(o.sub),
    env.DB.prepare("select amount_minor from credit_notes where sub_order_id = ?").bind(o.sub),
    env.DB.prepare("select refunded_minor from payments where id = ?").bind(o.paymentId),
    env.DB.prepare(
      "select id, kind, amount_minor, attempts, settled_at is null as open from pending_refunds where sub_order_id = ? order by created_at, id",
    ).bind(o.sub),
  ]);
  const entries = (await journalsOfOrder(database(env), o.orderId)).flatMap((j) => j.entries);
  const amounts = (r: D1Result<{ amount_minor: number }> | undefined) =>
    r!.results.map((x) => x.amount_minor).sort((a, b) => a - b);
  return {
    returnedQty: line!.results[0].returned_qty as number,
    refunds: amounts(refunds),
    notes: amounts(notes),
    paymentRefunded: payment!.results[0].refunded_minor as number,
    ledgerRefunds: 0 - balanceOf(entries, "refunds"),
    provider: await fakeRefunds(o.paymentId),
    owed: owed!.results as { id: string; kind: string; amount_minor: number; attempts: number; open: number }[],
  };
}

const pendingListed = async (sub: string) => {
  const pending = await api("GET", "/v1/admin/refunds/pending?limit=100", { token: ADMIN });
  expect(pending.status).toBe(200);
  return pending.body.items.filter((p: { subOrderId: string }) => p.subOrderId === sub);
};

/** Whether the payout run would pay the vendor for the sub-order now (its hold passed). */
const payable = async (sub: string) =>
  (await dueSubOrders(database(env), { deliveredBefore: "9999-01-01T00:00:00Z", limit: 1_000 })).due.some(
    (d) => d.subOrderId === sub,
  );

describe("a return's refund, owed like a cancel's", () => {
  it("made but failed by the provider, answers so on every retry until it is settled", async () => {
    const o = await deliveredThroughStripe(1_500, 1);
    const key = uid("ret-");
    await behaveFor(o.paymentId, { refundsFailAs: "expired_or_canceled_card" });
    const first = await returnOf(o, key, 1);
    expect(first.status, JSON.stringify(first.body)).toBe(502);
    expect(first.body.detail).toContain("expired_or_canceled_card");
    await behaveFor(o.paymentId, { refundsFailAs: null });
    const retried = await returnOf(o, key, 1);
    expect(retried.status, JSON.stringify(retried.body)).toBe(502);
    expect(retried.body.detail).toBe(first.body.detail);
    const owedAgain = (await moneyOf(o)).owed.find((r) => r.kind === "retry");
    expect(owedAgain).toMatchObject({ amount_minor: 1_500, open: 1 });

    const ops = await tokenFor("ops");
    const settle = await api("POST", `/v1/admin/refunds/pending/${encodeURIComponent(owedAgain!.id)}/settle`, {
      token: ops,
      body: { note: "Paid by bank transfer" },
    });
    expect(settle.status, JSON.stringify(settle.body)).toBe(200);
    expect((await returnOf(o, key, 1)).status).toBe(200);
    expect((await moneyOf(o)).provider.count).toBe(1);
  });

  it("is paid under a caller's key of any length the API takes, though Stripe takes at most 255 characters", async () => {
    const o = await deliveredThroughStripe(1_250, 2);
    // Within the API's 255, but the refund's own key adds the sub-order to it.
    const key = `${uid("ret-")}-`.padEnd(240, "k");
    const first = await returnOf(o, key, 2);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(await moneyOf(o)).toMatchObject({
      refunds: [2_500],
      provider: { count: 1, amountMinor: 2_500 },
      owed: [{ kind: "return", amount_minor: 2_500, open: 0 }],
    });
  });

  it("a retry of the same Idempotency-Key with other lines is 422 and changes nothing; the same lines complete it", async () => {
    const o = await deliveredThroughStripe(1_000, 3);
    const key = uid("ret-");
    await behaveFor(o.paymentId, { failRefunds: true });
    const first = await returnOf(o, key, 1);
    expect(first.status, JSON.stringify(first.body)).toBe(502);
    expect(first.body.code).toBe("PAYMENT_PROVIDER_ERROR");
    await behaveFor(o.paymentId, { failRefunds: false });

    const other = await returnOf(o, key, 3);
    expect(other.status, JSON.stringify(other.body)).toBe(422);
    expect(other.body.code).toBe("IDEMPOTENCY_KEY_REUSED");
    const restocked = await returnOf(o, key, 1, true);
    expect(restocked.status).toBe(422);
    expect(restocked.body.code).toBe("IDEMPOTENCY_KEY_REUSED");
    expect(await moneyOf(o)).toMatchObject({
      returnedQty: 1,
      refunds: [],
      notes: [],
      paymentRefunded: 0,
      ledgerRefunds: 0,
      provider: { count: 0, amountMinor: 0 },
      owed: [{ kind: "return", amount_minor: 1_000, open: 1 }],
    });

    const again = await returnOf(o, key, 1);
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(await moneyOf(o)).toMatchObject({
      returnedQty: 1,
      refunds: [1_000],
      notes: [1_000],
      paymentRefunded: 1_000,
      ledgerRefunds: 1_000,
      provider: { count: 1, amountMinor: 1_000 },
      owed: [{ kind: "return", amount_minor: 1_000, open: 0 }],
    });
    // Not restocked: the claim said so, whatever a later body says.
    expect((await stockOf(o.skuId)).totals.onHand).toBe(ON_HAND - 3);
    // Done: once more is the same answer and moves nothing.
    expect((await returnOf(o, key, 1)).status).toBe(200);
    expect((await moneyOf(o)).provider).toEqual({ count: 1, amountMinor: 1_000 });
  });

  it("a retry more than a week later, after the stock object forgot its restock key, restocks nothing again", async () => {
    const o = await deliveredThroughStripe(1_000, 3);
    const key = uid("ret-");
    await behaveFor(o.paymentId, { failRefunds: true });
    const first = await returnOf(o, key, 2, true);
    expect(first.status, JSON.stringify(first.body)).toBe(502);
    expect((await stockOf(o.skuId)).totals.onHand).toBe(ON_HAND - 3 + 2);
    // The object keeps an adjustment's key for a week: past that the retry meets no memory of it.
    await runInDurableObject(env.SKU_STOCK.get(env.SKU_STOCK.idFromName(o.skuId)), (_instance, state) => {
      state.storage.sql.exec("DELETE FROM adjustment_keys WHERE key LIKE ?", `%${key}%`);
    });
    await behaveFor(o.paymentId, { failRefunds: false });
    const again = await returnOf(o, key, 2, true);
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect((await stockOf(o.skuId)).totals.onHand).toBe(ON_HAND - 3 + 2);
    expect(await moneyOf(o)).toMatchObject({ returnedQty: 2, refunds: [2_000] });
  });

  it("a return whose refund failed is owed: listed for ops, on the order view, held from payouts, paid by the job once", async () => {
    const o = await deliveredThroughStripe(1_000, 2);
    await behaveFor(o.paymentId, { failRefunds: true });
    const r = await returnOf(o, uid("ret-"), 1, true);
    expect(r.status).toBe(502);
    const m = await moneyOf(o);
    expect(m).toMatchObject({ returnedQty: 1, refunds: [], provider: { count: 0 } });
    expect(m.owed).toMatchObject([{ kind: "return", amount_minor: 1_000, attempts: 1, open: 1 }]);
    // The unit is back on the shelf; the return is on the timeline though its refund is owed.
    expect((await stockOf(o.skuId)).totals.onHand).toBe(ON_HAND - 2 + 1);
    const view = await api("GET", `/v1/orders/${o.orderId}`, { token: ADMIN });
    expect(view.body.subOrders[0].refundPending).toMatchObject({
      subOrderId: o.sub,
      amount: { amountMinor: 1_000 },
      reason: "damaged",
      attempts: 1,
    });
    expect(view.body.timeline.filter((e: { type: string }) => e.type === "sub_order.returned")).toHaveLength(1);
    expect(await pendingListed(o.sub)).toMatchObject([{ amount: { amountMinor: 1_000 }, attempts: 1 }]);
    // Its vendor is not paid for goods whose refund is still owed.
    expect(await payable(o.sub)).toBe(false);

    // Still failing once the first failure's minute is over: another attempt, nothing refunded.
    await retryPendingRefunds(env, new Date(Date.now() + 61_000));
    expect((await moneyOf(o)).owed).toMatchObject([{ attempts: 2, open: 1 }]);

    await behaveFor(o.paymentId, { delayMs: 200 });
    // Two runs at once, past the second failure's two minutes, refund it once.
    const due = new Date(Date.now() + 240_000);
    await Promise.all([retryPendingRefunds(env, due), retryPendingRefunds(env, due)]);
    expect(await moneyOf(o)).toMatchObject({
      returnedQty: 1,
      refunds: [1_000],
      notes: [1_000],
      paymentRefunded: 1_000,
      ledgerRefunds: 1_000,
      provider: { count: 1, amountMinor: 1_000 },
      owed: [{ open: 0 }],
    });
    expect(await pendingListed(o.sub)).toEqual([]);
    expect((await api("GET", `/v1/orders/${o.orderId}`, { token: ADMIN })).body.subOrders[0].refundPending).toBeNull();
    expect(await payable(o.sub)).toBe(true);
  });

  it("a return's refund the provider failed after making it does not hold its vendor's payout", async () => {
    const o = await deliveredThroughStripe(1_000, 2);
    expect((await returnOf(o, uid("ret-"), 1, true)).status).toBe(200);
    const providerRef = (await env.DB.prepare("select provider_ref as p from refunds where sub_order_id = ?")
      .bind(o.sub)
      .first<{ p: string }>())!.p;
    const { event } = await failRefund(providerRef, "expired_or_canceled_card");
    expect((await deliver(event)).status).toBe(200);
    // Owed to the shopper again, for ops; the books keep the refund, so the vendor is paid its net.
    const owed = (await moneyOf(o)).owed;
    expect(owed).toHaveLength(2);
    expect(owed.find((r) => r.kind === "return")).toMatchObject({ open: 0 });
    expect(owed.find((r) => r.kind === "retry")).toMatchObject({ amount_minor: 1_000, open: 1 });
    expect(await payable(o.sub)).toBe(true);
  });

  it("two owed returns of one sub-order paid in one run give back its fee exactly, to the minor unit", async () => {
    // 10% of 2,008 is 200.8 and of 1,004 is 100.4: each return's fee is what is left less what stays.
    const o = await deliveredThroughStripe(1_004, 2);
    await behaveFor(o.paymentId, { failRefunds: true });
    expect((await returnOf(o, uid("ret-a-"), 1)).status).toBe(502);
    expect((await returnOf(o, uid("ret-b-"), 1)).status).toBe(502);
    await behaveFor(o.paymentId, { failRefunds: false });
    await retryPendingRefunds(env, new Date(Date.now() + 61_000));
    expect((await moneyOf(o)).refunds).toEqual([1_004, 1_004]);
    const fees = await env.DB.prepare(
      "select coalesce(sum(amount_minor), 0) as n from ledger_entries where sub_order_id = ? and account = 'platform_fees'",
    )
      .bind(o.sub)
      .first<{ n: number }>();
    expect(fees!.n).toBe(0);
  });

  it("owes each return of a sub-order its own refund, under its own key, and shows them as one on the order", async () => {
    const o = await deliveredThroughStripe(1_000, 3);
    await behaveFor(o.paymentId, { failRefunds: true });
    expect((await returnOf(o, uid("ret-a-"), 1)).status).toBe(502);
    expect((await returnOf(o, uid("ret-b-"), 2)).status).toBe(502);
    const m = await moneyOf(o);
    expect(m.returnedQty).toBe(3);
    expect(m.owed.map((p) => p.amount_minor).sort()).toEqual([1_000, 2_000]);
    expect(new Set(m.owed.map((p) => p.id)).size).toBe(2);
    const view = await api("GET", `/v1/orders/${o.orderId}`, { token: ADMIN });
    // Every unit is back: returned, with 3,000 still owed to the shopper.
    expect(view.body.subOrders[0]).toMatchObject({
      status: "returned",
      refundPending: { amount: { amountMinor: 3_000 } },
    });
    expect(await pendingListed(o.sub)).toHaveLength(2);

    await behaveFor(o.paymentId, { failRefunds: false });
    await retryPendingRefunds(env, new Date(Date.now() + 61_000));
    expect(await moneyOf(o)).toMatchObject({
      refunds: [1_000, 2_000],
      notes: [1_000, 2_000],
      paymentRefunded: 3_000,
      ledgerRefunds: 3_000,
      provider: { count: 2, amountMinor: 3_000 },
    });
    expect(await pendingListed(o.sub)).toEqual([]);
  });
});
