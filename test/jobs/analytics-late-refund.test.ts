import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { refreshRollups } from "../../src/analytics/refresh";
import { localDay } from "../../src/domain/local-day";
import { config } from "../../src/platform/config";
import { ADMIN, api, newCustomer } from "../support/api";
import { BENGALURU, checkout, lapseHold, pay, stockedSku } from "../support/marketplace";

// The platform roll-up's own storage: its day holds exactly these two orders.

describe("the platform's daily figures", () => {
  it("leave out the refund of a payment that came after its order was given up, as GMV does", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 1 }] });
    const late = await newCustomer();
    const given = await checkout(late.token, [{ skuId: s.skuId, qty: 1 }]);
    // Its hold lapses, and another shopper buys the one unit.
    await lapseHold(s.skuId, given.body.order.id);
    const buyer = await newCustomer();
    const sold = await checkout(buyer.token, [{ skuId: s.skuId, qty: 1 }]);
    expect((await pay(buyer.token, sold.body.payment.id)).body.status).toBe("paid");
    // The late payment is refunded whole: money in and straight back out, never a sale.
    expect((await pay(late.token, given.body.payment.id)).body.paymentStatus).toBe("refunded");

    await refreshRollups(env, new Date());
    const today = localDay(new Date(), config(env).timeZone);
    const r = await api("GET", `/v1/analytics/platform?from=${today}&to=${today}`, { token: ADMIN });
    expect(r.status).toBe(200);
    expect(r.body.totals).toMatchObject({
      gmvMinor: sold.body.order.total.amountMinor,
      ordersPaid: 1,
      refundedMinor: 0,
    });
  });
});
