import { afterEach, describe, expect, it, vi } from "vitest";
import type { PaymentView } from "../../src/contracts/orders";
import { api } from "../../web/src/api";
import { awaitsPayment, payOffer } from "../../web/src/pages/MyOrders";
import type { OrderView } from "../../web/src/types";

afterEach(() => vi.unstubAllGlobals());

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
