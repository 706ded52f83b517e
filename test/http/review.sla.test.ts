import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { refreshRollups } from "../../src/analytics/refresh";
import { database } from "../../src/db/client";
import { reviewPoints } from "../../src/db/orders";
import { setReview } from "../../src/review/review";
import { ADMIN, api, newCustomer, tokenFor } from "../support/api";
import { d1Batches } from "../support/bindings";
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

/** The Worker's bindings, with `before` run just before the `nth` D1 batch. */
const beforeBatch = (nth: number, before: () => Promise<void>) =>
  d1Batches((batch, n) => async (...args) => {
    if (n === nth) await before();
    return batch(...args);
  });

describe("an approval racing the payment of an order held at checkout", () => {
  it("starts the SLA clock of the sub-order paid between the approval's read and its write, and names it to its vendor", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }], vendor: { dispatchSlaHours: 24 } });
    const shopper = await newCustomer();
    const placed = await checkout(shopper.token, [{ skuId: s.skuId, qty: 1 }]);
    const orderId = placed.body.order.id as string;
    const subId = placed.body.order.subOrders[0].id as string;
    const ops = await tokenFor("ops");
    expect((await api("POST", `/v1/orders/${orderId}/flag`, { token: ops, body: { note: "check it" } })).status).toBe(
      200,
    );

    const approvedAt = new Date();
    // The approval reads the order unpaid; the payment lands, still held (no deadline), before its write.
    const outcome = await setReview(
      // An approval is two batches: its read of the order, then its write.
      beforeBatch(2, async () => {
        expect((await pay(shopper.token, placed.body.payment.id)).body.status).toBe("paid");
      }),
      undefined,
      { orderId, hold: false, note: null, actor: { role: "ops", id: "ops-reviewer" }, now: approvedAt },
    );
    expect(outcome).toEqual({ ok: true, changed: true });

    const sub = (await api("GET", `/v1/orders/${orderId}`, { token: ADMIN })).body.subOrders[0];
    expect(sub.status).toBe("paid");
    expect(seconds(sub.slaDispatchBy)).toBe(Math.floor(approvedAt.getTime() / 1000) + 24 * 3600);
    const approval = await env.DB.prepare("select payload from outbox where type = 'order.approved' and order_id = ?")
      .bind(orderId)
      .first<{ payload: string }>();
    expect(JSON.parse(approval!.payload)).toEqual({ orderId, subOrders: [{ id: subId, vendorId: s.vendorId }] });
  });
});

describe("nudges around a review", () => {
  it("nudges the vendor again before the new deadline an approval sets, once, and counts the sub-order nudged once", async () => {
    const s = await stockedSku({
      warehouses: [{ at: BENGALURU, onHand: 5 }],
      vendor: { dispatchSlaHours: 24, nudgeLeadHours: 6 },
    });
    const shopper = await newCustomer();
    const placed = await checkout(shopper.token, [{ skuId: s.skuId, qty: 1 }]);
    const start = Date.now();
    const paid = await pay(shopper.token, placed.body.payment.id);
    const orderId = paid.body.id as string;
    const subId = paid.body.subOrders[0].id as string;
    const nudges = async () =>
      (
        await env.DB.prepare(
          "select json_extract(payload, '$.slaDispatchBy') as by from outbox where type = 'sub_order.sla_nudge' and json_extract(payload, '$.subOrderId') = ? order by id",
        )
          .bind(subId)
          .all<{ by: string }>()
      ).results.map((r) => r.by);
    const nudgedInRollup = async () => {
      while ((await refreshRollups(env, new Date())).continued) {}
      return (await env.DB.prepare("select sum(sla_nudges) as n from rollup_vendor_days where vendor_id = ?")
        .bind(s.vendorId)
        .first<{ n: number }>())!.n;
    };

    // 20 h in: inside the 6 h lead of the 24 h deadline.
    await run(at(start, 20));
    const first = await nudges();
    expect(first).toHaveLength(1);

    // Held for review, approved at 30 h: a new 24 h clock runs to 54 h.
    const ops = await tokenFor("ops");
    expect((await api("POST", `/v1/orders/${orderId}/flag`, { token: ops, body: { note: "address" } })).status).toBe(
      200,
    );
    const approved = await setReview(env, undefined, {
      orderId,
      hold: false,
      note: null,
      actor: { role: "ops", id: "ops-reviewer" },
      now: at(start, 30),
    });
    expect(approved).toEqual({ ok: true, changed: true });
    // The nudge before the old deadline still counts, though the new clock has none yet.
    expect(await nudgedInRollup()).toBe(1);

    // 50 h in: inside the lead of the new deadline; a second run nudges nothing more.
    await run(at(start, 50));
    await run(at(start, 51));
    const newDeadline = (await api("GET", `/v1/orders/${orderId}`, { token: ADMIN })).body.subOrders[0].slaDispatchBy;
    expect(await nudges()).toEqual([first[0], newDeadline]);
    expect(await nudgedInRollup()).toBe(1);

    await run(at(start, 55));
    const late = (await api("GET", `/v1/orders/${orderId}`, { token: ADMIN })).body.subOrders[0];
    expect(late).toMatchObject({ status: "cancelled", cancellationReason: "sla_breach_auto" });
  });
});

describe("holding, releasing and holding an order again within one second", () => {
  it("keeps all three: each has its event, and the order counts as held from the last", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }] });
    const shopper = await newCustomer();
    const placed = await checkout(shopper.token, [{ skuId: s.skuId, qty: 1 }]);
    const orderId = (await pay(shopper.token, placed.body.payment.id)).body.id as string;
    const now = new Date();
    const actor = { role: "ops" as const, id: "ops-reviewer" };
    for (const [hold, note] of [
      [true, "first look"],
      [false, null],
      [true, "second look"],
    ] as const) {
      expect(await setReview(env, undefined, { orderId, hold, note, actor, now })).toEqual({ ok: true, changed: true });
    }

    const view = (await api("GET", `/v1/orders/${orderId}`, { token: ADMIN })).body;
    expect(view.timeline.map((e: { type: string }) => e.type).filter((t: string) => t !== "order.paid")).toEqual([
      "order.placed",
      "order.flagged",
      "order.approved",
      "order.flagged",
    ]);
    const points = await reviewPoints(database(env), [orderId]);
    expect(points.map((p) => p.held)).toEqual([false, true, false, true]);
  });
});
