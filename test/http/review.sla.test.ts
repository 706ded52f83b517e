import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { setReview } from "../../src/review/review";
import { ADMIN, api, newCustomer, tokenFor } from "../support/api";
import { BENGALURU, checkout, pay, stockedSku } from "../support/marketplace";

const run = (now: Date) =>
  api("POST", "/v1/admin/jobs/sla-watcher/run", { token: ADMIN, body: { now: now.toISOString() } });
const at = (start: number, hours: number) => new Date(start + hours * 3_600_000);
const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

describe("approving after a long review", () => {
  it("restarts the vendor's SLA clock from the approval, so the first watcher run after it cancels nothing", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }], vendor: { dispatchSlaHours: 24 } });
    const shopper = await newCustomer();
    const placed = await checkout(shopper.token, [{ skuId: s.skuId, qty: 1 }]);
    const start = Date.now();
    const paid = await pay(shopper.token, placed.body.payment.id);
    const orderId = paid.body.id as string;
    const subId = paid.body.subOrders[0].id as string;
    const paidDeadline = paid.body.subOrders[0].slaDispatchBy as string;
    expect(paidDeadline).not.toBeNull();

    const flagged = await api("POST", `/v1/orders/${orderId}/flag`, {
      token: await tokenFor("ops"),
      body: { note: "confirm with the shopper" },
    });
    expect(flagged.status).toBe(200);
    // Held past its payment-time deadline: the watcher leaves it alone.
    expect((await run(at(start, 26))).body.result.cancelled).toBe(0);

    const approvedAt = at(start, 30);
    const outcome = await setReview(env, undefined, {
      orderId,
      hold: false,
      note: null,
      actor: { role: "ops", id: "ops-reviewer" },
      now: approvedAt,
    });
    expect(outcome).toEqual({ ok: true, changed: true });

    await run(at(start, 31));
    const view = (await api("GET", `/v1/orders/${orderId}`, { token: ADMIN })).body;
    const sub = view.subOrders.find((x: any) => x.id === subId);
    expect(sub.status).toBe("paid");
    expect(sub.cancellationReason).toBeNull();
    expect(view.paymentStatus).toBe("paid");
    expect(seconds(sub.slaDispatchBy)).toBe(Math.floor(approvedAt.getTime() / 1000) + 24 * 3600);

    // The new clock runs: past it, the watcher cancels as for any late vendor.
    await run(at(start, 55));
    const late = (await api("GET", `/v1/orders/${orderId}`, { token: ADMIN })).body.subOrders[0];
    expect(late).toMatchObject({ status: "cancelled", cancellationReason: "sla_breach_auto" });
  });
});
