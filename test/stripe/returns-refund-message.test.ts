import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { retryPendingRefunds } from "../../src/jobs/pending-refunds";
import { behaveFor } from "../stripe-fake/control";
import { uid } from "../support/api";
import { deliveredThroughStripe, step } from "../support/stripe-orders";

/**
 * A return whose refund Stripe refuses tells the shopper nothing of it; the job's payment tells
 * it once, with the amount (the shopper's side of "a return's refund is announced when paid").
 */

/** The order's refund messages to the shopper, in the order written. */
async function refundMessages(orderId: string) {
  const rows = await env.DB.prepare(
    "select type, payload from outbox where order_id = ? and type like 'order.refund%' order by id",
  )
    .bind(orderId)
    .all<{ type: string; payload: string }>();
  return rows.results.map((r) => [r.type, JSON.parse(r.payload).refundedMinor]);
}

type Order = Awaited<ReturnType<typeof deliveredThroughStripe>>;

const returnOne = (o: Order, key: string) =>
  step(
    o.token,
    o.sub,
    "return",
    { lines: [{ lineId: o.lineId, qty: 1, restockable: false }], reason: "damaged" },
    { "Idempotency-Key": key },
  );

describe("a return's refund the provider refuses", () => {
  it("tells the shopper nothing until the job pays it, then once with the amount", async () => {
    const o = await deliveredThroughStripe(1_500, 2);
    await behaveFor(o.paymentId, { failRefunds: true });
    const returned = await returnOne(o, uid("ret-"));
    expect(returned.status, JSON.stringify(returned.body)).toBe(502);
    expect(await refundMessages(o.orderId)).toEqual([]);

    await behaveFor(o.paymentId, { failRefunds: false });
    await retryPendingRefunds(env, new Date(Date.now() + 10 * 60_000));
    expect(await refundMessages(o.orderId)).toEqual([["order.refund_sent", 1_500]]);
    await retryPendingRefunds(env, new Date(Date.now() + 20 * 60_000));
    expect(await refundMessages(o.orderId)).toEqual([["order.refund_sent", 1_500]]);
  });

  it("paid by the client's retry of the return: told once, and the job adds nothing", async () => {
    const o = await deliveredThroughStripe(1_700, 2);
    const key = uid("ret-");
    await behaveFor(o.paymentId, { failRefunds: true });
    expect((await returnOne(o, key)).status).toBe(502);
    expect(await refundMessages(o.orderId)).toEqual([]);

    await behaveFor(o.paymentId, { failRefunds: false });
    const retried = await returnOne(o, key);
    expect(retried.status, JSON.stringify(retried.body)).toBe(200);
    expect(await refundMessages(o.orderId)).toEqual([["order.refund_sent", 1_700]]);
    await retryPendingRefunds(env, new Date(Date.now() + 10 * 60_000));
    expect((await returnOne(o, key)).status).toBe(200);
    expect(await refundMessages(o.orderId)).toEqual([["order.refund_sent", 1_700]]);
  });
});
