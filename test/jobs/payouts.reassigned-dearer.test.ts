import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { east, offer, order } from "../http/routing.fixtures";
import { ADMIN, api, newCustomer, tokenFor, uid } from "../support/api";
import { newProduct } from "../support/catalog";
import { BENGALURU, pay } from "../support/marketplace";
import { leftPending, owed, readyPayoutAccount, runPayoutsAt, transfersOf, walkToDelivered } from "../support/payouts";

/**
 * A reassignment to a dearer offer owes the new vendor its own price while the shopper paid the old
 * one: once that cost passes the order's fees, the vendors' transfers add up to more than its charge,
 * and the provider refuses a transfer beyond what is left of its source charge. Such a transfer goes
 * from the platform's balance instead, and a run that died before asking is settled with the same
 * choice, under the same key.
 */

/** A paid one-unit order from vendor A at 50,000, moved to vendor B's offer at 65,000 and delivered by B. */
async function reassignedToDearer() {
  const product = await newProduct();
  await offer({ productId: product.id, priceMinor: 50_000, warehouses: [{ at: east(BENGALURU, 3), onHand: 3 }] });
  const b = await offer({
    productId: product.id,
    priceMinor: 65_000,
    warehouses: [{ at: east(BENGALURU, 40), onHand: 3 }],
  });
  const accountId = await readyPayoutAccount(b.vendorId);
  const shopper = await newCustomer();
  const placed = await order(shopper.token, [{ productId: product.id, qty: 1 }]);
  expect(placed.status, JSON.stringify(placed.body)).toBe(201);
  await pay(shopper.token, placed.body.payment.id);
  const orderId = placed.body.order.id as string;
  const moved = await api("POST", `/v1/sub-orders/${placed.body.order.subOrders[0].id}/reassign`, {
    token: ADMIN,
    headers: { "Idempotency-Key": uid("ra-") },
    body: { target: { skuId: b.skuId }, reason: "vendor A cannot ship it" },
  });
  expect(moved.status, JSON.stringify(moved.body)).toBe(200);
  const subOrderId = moved.body.subOrders.find((s: { vendorId: string }) => s.vendorId === b.vendorId).id as string;
  await walkToDelivered(await tokenFor("vendor", { vendorId: b.vendorId }), subOrderId);
  const charge = (await env.DB.prepare("select amount_minor from payments where order_id = ?")
    .bind(orderId)
    .first<{ amount_minor: number }>())!.amount_minor;
  return { orderId, subOrderId, vendorId: b.vendorId, accountId, charge };
}

async function simTransfers(subOrderId: string) {
  const { results } = await env.DB.prepare(
    "select amount_minor, source_transaction from sim_transfers where sub_order_id = ?",
  )
    .bind(subOrderId)
    .all<{ amount_minor: number; source_transaction: string | null }>();
  return results;
}

describe("payouts of an order reassigned to a dearer offer", () => {
  it("transfers a payable larger than the order's charge from the platform's balance, once", async () => {
    const o = await reassignedToDearer();
    const due = await owed(o.subOrderId);
    // B is owed its own 65,000 plus shipping less its fee on the shopper's 50,000: more than was charged.
    expect(due).toBeGreaterThan(o.charge);

    expect((await runPayoutsAt(8)).result.status).toBe("paid");
    expect(await transfersOf(o.subOrderId)).toMatchObject([{ status: "paid", amount_minor: due, failure: null }]);
    expect(await simTransfers(o.subOrderId)).toEqual([{ amount_minor: due, source_transaction: null }]);
    expect(await owed(o.subOrderId)).toBe(0);

    await runPayoutsAt(9);
    expect(await transfersOf(o.subOrderId)).toHaveLength(1);
    expect(await simTransfers(o.subOrderId)).toHaveLength(1);
  });

  it("asks again for a transfer a dead run left pending with the source it chose", async () => {
    const o = await reassignedToDearer();
    const due = await owed(o.subOrderId);
    // The dead run chose the platform's balance for it and died before asking the provider.
    const t = await leftPending(o, o, null);

    expect((await runPayoutsAt(8)).result.status).toBe("paid");
    expect(await transfersOf(o.subOrderId)).toMatchObject([{ id: t.id, status: "paid", amount_minor: due }]);
    expect(await simTransfers(o.subOrderId)).toEqual([{ amount_minor: due, source_transaction: null }]);
  });
});
