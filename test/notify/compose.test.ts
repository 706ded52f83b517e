import { describe, expect, it } from "vitest";
import type { OrderEventMessage } from "../../src/contracts/events";
import { SLA_BREACH_REASON } from "../../src/contracts/order-status";
import { FALLBACK_SUBJECT, subjectOf } from "../../src/notifications/channels/email";
import { compose, PRIORITY } from "../../src/notifications/compose";

const cancelled = (refundedMinor: number): OrderEventMessage => ({
  id: 1,
  type: "order.cancelled",
  orderId: "ord_1",
  at: "2026-11-28T10:00:00Z",
  payload: { orderId: "ord_1", refundedMinor, reason: "changed_mind" },
});

describe("messages", () => {
  it("state a refund in the currency's own minor unit", () => {
    const text = (minor: number, currency: string) =>
      compose(cancelled(minor), {
        customerId: "cus_1",
        subOrderCount: 1,
        vendorCount: 1,
        currency,
        timeZone: "Asia/Kolkata",
      })[0]!.text;
    expect(text(123_450, "INR")).toContain("₹1,234.50 is on its way back");
    // The yen has no minor unit: 1,000 minor units are ¥1,000, not ¥10.
    expect(text(1_000, "JPY")).toContain("¥1,000 is on its way back");
  });

  it("hand WhatsApp's template the refund as an amount, not a count of minor units", () => {
    // A WhatsApp message is the approved template filled with these parameters; the text is not sent.
    const facts = { customerId: "cus_1", subOrderCount: 2, vendorCount: 2, currency: "INR", timeZone: "Asia/Kolkata" };
    expect(compose(cancelled(123_450), facts)[0]!.params).toEqual({ orderId: "ord_1", refunded: "₹1,234.50" });
    const parcel: OrderEventMessage = {
      id: 2,
      type: "sub_order.cancelled",
      orderId: "ord_1",
      at: "2026-11-28T10:00:00Z",
      payload: { orderId: "ord_1", subOrderId: "sub_1", refundedMinor: 1_000, reason: "vendor_cancelled" },
    };
    expect(compose(parcel, { ...facts, currency: "JPY" })[0]!.params).toEqual({
      orderId: "ord_1",
      refunded: expect.stringMatching(/¥1,000$/),
    });
  });

  it("give a vendor its dispatch deadline in the marketplace's time zone", () => {
    const nudge: OrderEventMessage = {
      id: 3,
      type: "sub_order.sla_nudge",
      orderId: "ord_1",
      at: "2026-11-28T05:30:00Z",
      payload: { orderId: "ord_1", subOrderId: "sub_1", vendorId: "ven_1", slaDispatchBy: "2026-11-28T09:30:00Z" },
    };
    const facts = { customerId: "cus_1", subOrderCount: 1, vendorCount: 1, currency: "INR", timeZone: "Asia/Kolkata" };
    const [m] = compose(nudge, facts);
    // 09:30 UTC is 15:00 in India: a vendor reading "09:30" would think the day's deadline hours earlier.
    expect(m!.params).toEqual({ subOrderId: "sub_1", dispatchBy: "28 Nov 2026, 3:00 pm IST" });
    expect(m!.text).toContain("by 28 Nov 2026, 3:00 pm IST");
  });

  it("use a template that promises no refund when nothing is on its way (yet)", () => {
    const facts = { customerId: "cus_1", subOrderCount: 1, vendorCount: 1, currency: "INR", timeZone: "Asia/Kolkata" };
    const [order] = compose(cancelled(0), facts);
    expect(order).toMatchObject({ template: "order_cancelled_no_refund", params: { orderId: "ord_1" } });
    expect(order!.text).not.toContain("on its way");
    const parcel: OrderEventMessage = {
      id: 5,
      type: "sub_order.cancelled",
      orderId: "ord_1",
      at: "2026-11-28T10:00:00Z",
      payload: { orderId: "ord_1", subOrderId: "sub_1", refundedMinor: 0, reason: "vendor_cancelled" },
    };
    expect(compose(parcel, { ...facts, subOrderCount: 2, vendorCount: 2 })[0]).toMatchObject({
      template: "shipment_cancelled_no_refund",
      params: { orderId: "ord_1" },
    });
  });

  it("tell a shopper their bank refused a refund, what happens next, and when it is paid after all", () => {
    const facts = { customerId: "cus_1", subOrderCount: 1, vendorCount: 1, currency: "INR", timeZone: "Asia/Kolkata" };
    const event = (type: string, payload: Record<string, unknown>): OrderEventMessage => ({
      id: 4,
      type,
      orderId: "ord_1",
      at: "2026-11-28T10:00:00Z",
      payload: { refundedMinor: 250_000, ...payload },
    });
    const [retried] = compose(event("order.refund_failed", { retried: true }), facts);
    expect(retried).toMatchObject({
      template: "refund_failed_retrying",
      audience: { kind: "customer", customerId: "cus_1" },
    });
    expect(retried!.text).toBe(
      "Your bank could not accept the refund of ₹2,500.00 for order ord_1. We are sending it again and will tell you when it is on its way.",
    );
    // WhatsApp sends the approved template's fixed text, not ours: "we are sending it again" and
    // "our team will contact you" cannot share one template name.
    const [awaitingOps] = compose(event("order.refund_failed", { retried: false }), facts);
    expect(awaitingOps).toMatchObject({ template: "refund_failed_contact" });
    // WhatsApp fills the template's parameters by position: the amount comes first in the text.
    expect(Object.entries(awaitingOps!.params)).toEqual([
      ["refunded", "₹2,500.00"],
      ["orderId", "ord_1"],
    ]);
    expect(awaitingOps!.text).toContain("Our team will contact you to refund it another way.");
    expect(compose(event("order.refund_sent", {}), facts)[0]!.text).toBe(
      "The refund of ₹2,500.00 for order ord_1 is on its way back to you.",
    );
    const [settled] = compose(event("order.refund_settled", {}), facts);
    expect(settled!.template).toBe("refund_settled");
    expect(Object.entries(settled!.params)).toEqual([
      ["refunded", "₹2,500.00"],
      ["orderId", "ord_1"],
    ]);
  });
});

describe("a confirmation", () => {
  const paid: OrderEventMessage = {
    id: 8,
    type: "order.paid",
    orderId: "ord_1",
    at: "2026-11-28T10:00:00Z",
    payload: { orderId: "ord_1" },
  };
  const facts = { customerId: "cus_1", subOrderCount: 1, vendorCount: 1, currency: "INR", timeZone: "Asia/Kolkata" };

  it("of an order in several parcels has a template of its own that carries how many parcels from how many sellers", () => {
    // WhatsApp sends the approved template's fixed text: one template cannot say "we will tell you
    // when it ships" to one shopper and "3 parcels from 2 sellers" to another.
    const [split] = compose(paid, { ...facts, subOrderCount: 3, vendorCount: 2 });
    expect(split!.template).toBe("order_confirmed_split");
    expect(Object.entries(split!.params)).toEqual([
      ["orderId", "ord_1"],
      ["parcels", 3],
      ["sellers", 2],
    ]);
    expect(split!.text).toBe(
      "Order ord_1 is confirmed. It ships in 3 parcels from 2 sellers; that is normal, and we will tell you as each one moves.",
    );
    const [single] = compose(paid, facts);
    expect(single).toMatchObject({ template: "order_confirmed", params: { orderId: "ord_1" } });
    expect(Object.keys(single!.params)).toEqual(["orderId"]);
    expect(single!.text).toBe("Order ord_1 is confirmed. We will tell you when it ships.");
  });
});

describe("a corrected AWB", () => {
  it("tells the shopper the parcel's right carrier and AWB, in the order's thread, as a dispatch does", () => {
    // The shopper was sent the old AWB at dispatch: it may be another shopper's parcel they now track.
    const facts = { customerId: "cus_1", subOrderCount: 2, vendorCount: 2, currency: "INR", timeZone: "Asia/Kolkata" };
    const corrected: OrderEventMessage = {
      id: 7,
      type: "sub_order.awb_corrected",
      orderId: "ord_1",
      at: "2026-11-28T10:00:00Z",
      payload: {
        orderId: "ord_1",
        subOrderId: "sub_1",
        vendorId: "ven_1",
        status: "dispatched",
        carrier: "bluedart",
        carrierName: "Blue Dart",
        awb: "90012345678",
        previousCarrier: "delhivery",
        previousAwb: "1234567890123",
      },
    };
    const messages = compose(corrected, facts);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({
      template: "shipment_tracking_corrected",
      audience: { kind: "customer", customerId: "cus_1" },
      threadKey: "order:ord_1",
      priority: PRIORITY.dispatched,
      params: { orderId: "ord_1", carrier: "Blue Dart", awb: "90012345678" },
    });
    expect(messages[0]!.text).toContain("Blue Dart, AWB 90012345678");
    expect(messages[0]!.text).not.toContain("1234567890123");
    expect(subjectOf("shipment_tracking_corrected")).not.toBe(subjectOf("shipment_dispatched"));
    expect(subjectOf("shipment_tracking_corrected")).not.toBe(FALLBACK_SUBJECT);
  });
});

describe("templates", () => {
  const facts = { customerId: "cus_1", subOrderCount: 2, vendorCount: 2, currency: "INR", timeZone: "Asia/Kolkata" };
  const onlyParcel = { ...facts, subOrderCount: 1, vendorCount: 1 };
  const event = (type: string, payload: Record<string, unknown>): OrderEventMessage => ({
    id: 6,
    type,
    orderId: "ord_1",
    at: "2026-11-28T10:00:00Z",
    payload: { orderId: "ord_1", ...payload },
  });

  it("tell a parcel the seller did not ship in time apart from one that cannot be fulfilled", () => {
    const parcel = (reason: string, refundedMinor: number) =>
      compose(event("sub_order.cancelled", { subOrderId: "sub_1", reason, refundedMinor }), facts)[0]!;
    const byTemplate = [
      parcel(SLA_BREACH_REASON, 1_000),
      parcel(SLA_BREACH_REASON, 0),
      parcel("vendor_cancelled", 1_000),
      parcel("vendor_cancelled", 0),
    ].map((m) => [m.template, m.text.includes("could not be shipped in time"), Object.keys(m.params)]);
    expect(byTemplate).toEqual([
      ["shipment_cancelled_late", true, ["orderId", "refunded"]],
      ["shipment_cancelled_late_no_refund", true, ["orderId"]],
      ["shipment_cancelled", false, ["orderId", "refunded"]],
      ["shipment_cancelled_no_refund", false, ["orderId"]],
    ]);
  });

  it("tell a parcel that came back to its seller apart from one the carrier lost", () => {
    const parcel = (reason: string, refundedMinor: number) =>
      compose(event("sub_order.cancelled", { subOrderId: "sub_1", reason, refundedMinor }), facts)[0]!;
    const byTemplate = [
      parcel("returned_to_origin", 1_050),
      parcel("returned_to_origin", 0),
      parcel("lost_in_transit", 1_050),
      parcel("lost_in_transit", 0),
    ].map((m) => [m.template, m.text, m.params]);
    expect(byTemplate).toEqual([
      [
        "shipment_returned_to_seller",
        "A parcel of order ord_1 could not be delivered and went back to the seller. We refunded ₹10.50 for it; the rest of your order is not affected.",
        { orderId: "ord_1", refunded: "₹10.50" },
      ],
      [
        "shipment_returned_to_seller_no_refund",
        "A parcel of order ord_1 could not be delivered and went back to the seller.",
        { orderId: "ord_1" },
      ],
      [
        "shipment_lost",
        "A parcel of order ord_1 was lost by the carrier. We refunded ₹10.50 for it; the rest of your order is not affected.",
        { orderId: "ord_1", refunded: "₹10.50" },
      ],
      ["shipment_lost_no_refund", "A parcel of order ord_1 was lost by the carrier.", { orderId: "ord_1" }],
    ]);
  });

  it("speak of the order, not of one parcel and the rest, when its only parcel is cancelled", () => {
    const only = (reason: string, refundedMinor: number) =>
      compose(event("sub_order.cancelled", { subOrderId: "sub_1", reason, refundedMinor }), onlyParcel)[0]!;
    expect(
      [
        only(SLA_BREACH_REASON, 1_299_00),
        only(SLA_BREACH_REASON, 0),
        only("vendor_cancelled", 1_299_00),
        only("vendor_cancelled", 0),
        only("returned_to_origin", 1_050),
        only("lost_in_transit", 0),
      ].map((m) => [m.template, m.text, m.params]),
    ).toEqual([
      [
        "order_cancelled_late",
        "Order ord_1 could not be shipped in time and is cancelled. We refunded ₹1,299.00.",
        { orderId: "ord_1", refunded: "₹1,299.00" },
      ],
      [
        "order_cancelled_late_no_refund",
        "Order ord_1 could not be shipped in time and is cancelled.",
        { orderId: "ord_1" },
      ],
      [
        "order_cancelled",
        "Order ord_1 cannot be fulfilled and is cancelled. We refunded ₹1,299.00.",
        { orderId: "ord_1", refunded: "₹1,299.00" },
      ],
      ["order_cancelled_no_refund", "Order ord_1 cannot be fulfilled and is cancelled.", { orderId: "ord_1" }],
      [
        "order_returned_to_seller",
        "Order ord_1 could not be delivered and went back to the seller. We refunded ₹10.50.",
        { orderId: "ord_1", refunded: "₹10.50" },
      ],
      ["order_lost_no_refund", "Order ord_1 was lost by the carrier.", { orderId: "ord_1" }],
    ]);
  });

  it("name the carrier as shoppers know it in a dispatch, as a corrected AWB does", () => {
    const [sent] = compose(
      event("sub_order.dispatched", {
        subOrderId: "sub_1",
        carrier: "bluedart",
        carrierName: "Blue Dart",
        awb: "AWB1",
      }),
      facts,
    );
    expect(sent!.text).toBe("A parcel of order ord_1 is on its way with Blue Dart, AWB AWB1.");
    expect(sent!.params).toEqual({ orderId: "ord_1", carrier: "Blue Dart", awb: "AWB1" });
  });

  // One event of every kind and variant a shopper or vendor is messaged for.
  const events = [
    event("order.paid", {}),
    event("order.cancelled", { refundedMinor: 1_000 }),
    event("order.cancelled", { refundedMinor: 0 }),
    event("sub_order.cancelled", { subOrderId: "sub_1", refundedMinor: 1_000, reason: "vendor_cancelled" }),
    event("sub_order.cancelled", { subOrderId: "sub_1", refundedMinor: 0, reason: "vendor_cancelled" }),
    event("sub_order.cancelled", { subOrderId: "sub_1", refundedMinor: 1_000, reason: SLA_BREACH_REASON }),
    event("sub_order.cancelled", { subOrderId: "sub_1", refundedMinor: 0, reason: SLA_BREACH_REASON }),
    event("sub_order.cancelled", { subOrderId: "sub_1", refundedMinor: 1_000, reason: "returned_to_origin" }),
    event("sub_order.cancelled", { subOrderId: "sub_1", refundedMinor: 0, reason: "returned_to_origin" }),
    event("sub_order.cancelled", { subOrderId: "sub_1", refundedMinor: 1_000, reason: "lost_in_transit" }),
    event("sub_order.cancelled", { subOrderId: "sub_1", refundedMinor: 0, reason: "lost_in_transit" }),
    event("order.refund_failed", { refundedMinor: 1_000, retried: true }),
    event("order.refund_failed", { refundedMinor: 1_000, retried: false }),
    event("order.refund_sent", { refundedMinor: 1_000 }),
    event("order.refund_settled", { refundedMinor: 1_000 }),
    event("sub_order.dispatched", { subOrderId: "sub_1", carrier: "delhivery", awb: "AWB1" }),
    event("sub_order.awb_corrected", {
      subOrderId: "sub_1",
      carrier: "bluedart",
      carrierName: "Blue Dart",
      awb: "AWB2",
      previousCarrier: "delhivery",
      previousAwb: "AWB1",
    }),
    event("sub_order.milestone", { subOrderId: "sub_1", milestone: "out_for_delivery" }),
    event("sub_order.milestone", { subOrderId: "sub_1", milestone: "delivery_attempted" }),
    event("sub_order.delivered", { subOrderId: "sub_1" }),
    event("sub_order.sla_nudge", { subOrderId: "sub_1", vendorId: "ven_1", slaDispatchBy: "2026-11-28T09:30:00Z" }),
  ];

  // An order of one parcel is confirmed, and cancelled with its parcel, in templates of its own.
  const parcelEvents = events.filter((e) => e.type === "order.paid" || e.type === "sub_order.cancelled");
  const everyMessage = () => [
    ...events.flatMap((e) => compose(e, facts)),
    ...parcelEvents.flatMap((e) => compose(e, onlyParcel)),
  ];

  it("list their parameters in the order the text reads them, as WhatsApp fills a template by position", () => {
    const outOfOrder = everyMessage().flatMap((m) => {
      let from = 0;
      for (const value of Object.values(m.params)) {
        const at = m.text.indexOf(String(value), from);
        if (at < 0) return [[m.template, m.params, m.text]];
        from = at + String(value).length;
      }
      return [];
    });
    expect(outOfOrder).toEqual([]);
  });

  it("each have an email subject of their own, so no mail reads as a vague update", () => {
    const templates = [...new Set(everyMessage().map((m) => m.template))];
    // An only parcel's "cannot be fulfilled" shares the whole order's cancel templates.
    expect(templates).toHaveLength(events.length + parcelEvents.length - 2);
    // Sent by email too, but written elsewhere: the vendor's low-stock alert and its sign-in link.
    const without = [...templates, "low_stock", "vendor_sign_in"].filter((t) => subjectOf(t) === FALLBACK_SUBJECT);
    expect(without).toEqual([]);
    // A template that reads differently has a subject that does too.
    expect(subjectOf("refund_failed_retrying")).not.toBe(subjectOf("refund_failed_contact"));
    expect(subjectOf("shipment_cancelled_late")).not.toBe(subjectOf("shipment_cancelled"));
  });
});
