import { afterEach, describe, expect, it, vi } from "vitest";
import type { PaymentView } from "../../src/contracts/orders";
import { api } from "../../web/src/api";
import { recordServerDate } from "../../web/src/hold-expiry";
import { awaitsPayment, payOffer } from "../../web/src/pages/MyOrders";
import type { OrderView } from "../../web/src/types";

afterEach(() => {
  vi.unstubAllGlobals();
  recordServerDate(new Date().toUTCString());
});

const NOW = Date.parse("2026-11-29T12:00:00Z");
const order = (over: Partial<OrderView> = {}) =>
  ({
    id: "ord_pay_1",
    status: "pending_payment",
    paymentStatus: "unpaid",
    subOrders: [],
    timeline: [],
    ...over,
  }) as OrderView;
const simulated: PaymentView = {
  provider: "simulated",
  id: "pay_sim_1",
  status: "requires_payment",
  holdExpiresAt: "2026-11-29T12:10:00Z",
};
const stripe: PaymentView = {
  provider: "stripe",
  id: "pi_1",
  status: "requires_payment",
  clientSecret: "pi_1_secret_x",
  publishableKey: "pk_test_x",
  holdExpiresAt: "2026-11-29T12:10:00Z",
};

describe("My orders' Pay button", () => {
  it("offers an unpaid order's payment while its hold stands: the simulator, or Stripe's panel", () => {
    expect(payOffer(order(), simulated, NOW)).toEqual({
      kind: "simulated",
      paymentId: "pay_sim_1",
      holdExpiresAt: "2026-11-29T12:10:00Z",
    });
    expect(payOffer(order(), stripe, NOW)).toEqual({
      kind: "stripe",
      payment: { id: "pi_1", clientSecret: "pi_1_secret_x", publishableKey: "pk_test_x" },
      holdExpiresAt: "2026-11-29T12:10:00Z",
    });
    const { publishableKey: _key, ...keyless } = stripe;
    expect(payOffer(order(), keyless, NOW).kind).toBe("no-publishable-key");
  });

  it("offers nothing once the hold has expired, or for a paid or cancelled order", () => {
    expect(payOffer(order(), simulated, Date.parse(simulated.holdExpiresAt))).toEqual({ kind: "none" });
    expect(payOffer(order(), null, NOW)).toEqual({ kind: "none" });
    for (const o of [
      order({ status: "paid", paymentStatus: "paid" }),
      order({ status: "cancelled", paymentStatus: "unpaid" }),
      order({ status: "cancelled", paymentStatus: "refunded" }),
    ]) {
      expect(awaitsPayment(o)).toBe(false);
      expect(payOffer(o, stripe, NOW)).toEqual({ kind: "none" });
    }
  });

  it("keeps an open Stripe form past the hold, so a payment confirmed just before is still waited on", () => {
    const after = Date.parse(stripe.holdExpiresAt) + 1_000;
    expect(payOffer(order(), stripe, after, true)).toEqual({
      kind: "stripe",
      payment: { id: "pi_1", clientSecret: "pi_1_secret_x", publishableKey: "pk_test_x" },
      holdExpiresAt: "2026-11-29T12:10:00Z",
    });
    expect(payOffer(order(), stripe, after, false)).toEqual({ kind: "none" });
    expect(payOffer(order(), simulated, after, true)).toEqual({ kind: "none" });
  });

  it("goes by the server's clock, read from its answers, on a phone whose clock is 20 minutes fast", async () => {
    const phoneAhead = 20 * 60_000;
    const server = new Date(Date.now() - phoneAhead);
    const held = { ...stripe, holdExpiresAt: new Date(server.getTime() + 15 * 60_000).toISOString() };
    vi.stubGlobal(
      "fetch",
      async () =>
        new Response(JSON.stringify(held), {
          headers: { "content-type": "application/json", date: server.toUTCString() },
        }),
    );
    const payment = await api.orderPayment("token", "ord_pay_skew");
    expect(payOffer(order(), payment, Date.now()).kind).toBe("stripe");
    expect(payOffer(order(), payment, Date.now() + 16 * 60_000).kind).toBe("none");
  });

  it("reads the payment again from the order's payment route", async () => {
    const asked: string[] = [];
    vi.stubGlobal("fetch", async (url: string, init?: RequestInit) => {
      asked.push(`${init?.method ?? "GET"} ${new URL(url, "https://oms.test").pathname}`);
      return new Response(JSON.stringify(stripe), { headers: { "content-type": "application/json" } });
    });
    expect(await api.orderPayment("token", "ord_pay/1")).toEqual(stripe);
    expect(asked).toEqual(["GET /v1/orders/ord_pay%2F1/payment"]);
  });
});
