import type { OrderEventMessage } from "../contracts/events";
import { SLA_BREACH_REASON } from "../contracts/order-status";
import { displayAmount } from "../domain/money";
import { displayTimeIn } from "../exports/format";

/** Lower sends first: what a shopper most needs to know goes out before milestones. */
export const PRIORITY = { confirmation: 0, cancellation: 1, dispatched: 2, milestone: 3 } as const;

export type Audience = { kind: "customer"; customerId: string } | { kind: "vendor"; vendorId: string };

export type Message = {
  template: string;
  priority: number;
  audience: Audience;
  /** Per parent order, so a shopper sees one conversation however many parcels there are. */
  threadKey: string;
  /**
   * A WhatsApp template's body parameters, as the shopper reads them: amounts formatted, not minor
   * units, in the order the text reads them (the channel fills the template's {{1}}, {{2}}, ... by position).
   */
  params: Record<string, string | number>;
  text: string;
};

export type Facts = {
  customerId: string;
  subOrderCount: number;
  vendorCount: number;
  currency: string;
  /** The marketplace's IANA time zone: the one its shoppers and vendors read times in. */
  timeZone: string;
};

/**
 * What a shopper reads for each cancellation reason code. Only these fixed phrases ever reach a
 * message: any other reason (free text recorded before reasons were codes) reads as nothing.
 */
const CANCEL_PHRASES: Readonly<Record<string, string>> = {
  changed_mind: "change of mind",
  ordered_by_mistake: "ordered by mistake",
  found_better_price: "a better price was found",
  delivery_too_slow: "delivery too slow",
  payment_problem: "a payment problem",
  duplicate_order: "a duplicate order",
  suspected_fraud: "a security check",
  hold_expired: "the payment did not arrive in time",
  payment_canceled: "the payment was cancelled",
  cancelled_before_payment: "it was cancelled before the payment arrived",
  late_payment_refunded: "the stock was gone when the payment arrived",
  [SLA_BREACH_REASON]: "the seller could not ship in time",
};

function cancelPhrase(reason: unknown): string {
  const phrase =
    typeof reason === "string" && Object.hasOwn(CANCEL_PHRASES, reason) ? CANCEL_PHRASES[reason] : undefined;
  return phrase ? ` (${phrase})` : "";
}

/** The messages one order event should produce; pure, so redelivery composes the same ones. */
export function compose(event: OrderEventMessage, facts: Facts): Message[] {
  const p = event.payload as Record<string, unknown>;
  const orderId = String(event.orderId ?? p.orderId ?? "");
  const base = { threadKey: `order:${orderId}`, audience: { kind: "customer" as const, customerId: facts.customerId } };
  switch (event.type) {
    case "order.paid": {
      const parcels = facts.subOrderCount;
      const sellers = facts.vendorCount;
      // A template's text is fixed: an order of several parcels says how many, from how many sellers,
      // so its own template carries both; an order of one parcel has neither to say.
      return [
        parcels > 1
          ? {
              ...base,
              template: "order_confirmed_split",
              priority: PRIORITY.confirmation,
              params: { orderId, parcels, sellers },
              text: `Order ${orderId} is confirmed. It ships in ${parcels} parcels from ${sellers} sellers; that is normal, and we will tell you as each one moves.`,
            }
          : {
              ...base,
              template: "order_confirmed",
              priority: PRIORITY.confirmation,
              params: { orderId },
              text: `Order ${orderId} is confirmed. We will tell you when it ships.`,
            },
      ];
    }
    case "order.cancelled": {
      const refundedMinor = Number(p.refundedMinor ?? 0);
      const refunded = displayAmount(refundedMinor, facts.currency);
      const text = `Order ${orderId} is cancelled${cancelPhrase(p.reason)}.${refundedMinor > 0 ? ` ${refunded} is on its way back to you.` : ""}`;
      // A template's text is fixed: one that says what comes back, and one for nothing coming back (yet).
      return [
        refundedMinor > 0
          ? {
              ...base,
              template: "order_cancelled",
              priority: PRIORITY.cancellation,
              params: { orderId, refunded },
              text,
            }
          : {
              ...base,
              template: "order_cancelled_no_refund",
              priority: PRIORITY.cancellation,
              params: { orderId },
              text,
            },
      ];
    }
    case "sub_order.cancelled": {
      const refundedMinor = Number(p.refundedMinor ?? 0);
      const refunded = refundedMinor > 0 ? displayAmount(refundedMinor, facts.currency) : null;
      // A template's text is fixed: why the parcel is not coming reads differently for each reason
      // (the seller missed its dispatch deadline, the parcel came back or was lost, it cannot be
      // fulfilled), each with and without a refund. An order of one parcel is cancelled whole with
      // it: its message speaks of the order, with no "rest of your order" to reassure about.
      const [stem, what] =
        p.reason === "lost_in_transit"
          ? ["lost", "was lost by the carrier"]
          : p.reason === "returned_to_origin"
            ? ["returned_to_seller", "could not be delivered and went back to the seller"]
            : p.reason === SLA_BREACH_REASON
              ? ["cancelled_late", "could not be shipped in time and is cancelled"]
              : ["cancelled", "cannot be fulfilled and is cancelled"];
      const whole = facts.subOrderCount === 1;
      const subject = whole
        ? `Order ${orderId}`
        : stem.startsWith("cancelled")
          ? `One parcel of order ${orderId}`
          : `A parcel of order ${orderId}`;
      const told = refunded
        ? whole
          ? ` We refunded ${refunded}.`
          : ` We refunded ${refunded} for it; the rest of your order is not affected.`
        : "";
      return [
        {
          ...base,
          template: `${whole ? "order" : "shipment"}_${stem}${refunded ? "" : "_no_refund"}`,
          params: refunded ? { orderId, refunded } : { orderId },
          priority: PRIORITY.cancellation,
          text: `${subject} ${what}.${told}`,
        },
      ];
    }
    case "order.refund_failed": {
      const refunded = displayAmount(Number(p.refundedMinor ?? 0), facts.currency);
      const next = p.retried
        ? "We are sending it again and will tell you when it is on its way."
        : "Our team will contact you to refund it another way.";
      return [
        {
          ...base,
          // A template's text is fixed: one says the refund is sent again, the other that ops will call.
          template: p.retried ? "refund_failed_retrying" : "refund_failed_contact",
          priority: PRIORITY.cancellation,
          params: { refunded, orderId },
          text: `Your bank could not accept the refund of ${refunded} for order ${orderId}. ${next}`,
        },
      ];
    }
    case "order.refund_sent":
    case "order.refund_settled": {
      const refunded = displayAmount(Number(p.refundedMinor ?? 0), facts.currency);
      const sent = event.type === "order.refund_sent";
      const how = sent ? "is on its way back to you" : "was refunded to you another way";
      return [
        {
          ...base,
          template: sent ? "refund_sent" : "refund_settled",
          priority: PRIORITY.cancellation,
          params: { refunded, orderId },
          text: `The refund of ${refunded} for order ${orderId} ${how}.`,
        },
      ];
    }
    case "sub_order.dispatched": {
      // The carrier as shoppers know it ("Blue Dart"), not its code; events written before the name rode along have only the code.
      const carrier = String(p.carrierName ?? p.carrier);
      const text = `A parcel of order ${orderId} is on its way with ${carrier}, AWB ${String(p.awb)}.`;
      return [
        {
          ...base,
          template: "shipment_dispatched",
          priority: PRIORITY.dispatched,
          params: { orderId, carrier, awb: String(p.awb) },
          text,
        },
      ];
    }
    case "sub_order.awb_corrected": {
      // The shopper was sent the old AWB at dispatch and may be tracking someone else's parcel with it.
      const carrier = String(p.carrierName ?? p.carrier);
      const awb = String(p.awb);
      return [
        {
          ...base,
          template: "shipment_tracking_corrected",
          priority: PRIORITY.dispatched,
          params: { orderId, carrier, awb },
          text: `The tracking number we sent for a parcel of order ${orderId} was wrong. It is on its way with ${carrier}, AWB ${awb}; please track it with this one.`,
        },
      ];
    }
    case "sub_order.milestone": {
      const what =
        p.milestone === "out_for_delivery"
          ? "is out for delivery"
          : "could not be delivered today; the carrier will try again";
      return [
        {
          ...base,
          template: `shipment_${String(p.milestone)}`,
          priority: PRIORITY.milestone,
          params: { orderId },
          text: `A parcel of order ${orderId} ${what}.`,
        },
      ];
    }
    case "sub_order.delivered":
      return [
        {
          ...base,
          template: "shipment_delivered",
          priority: PRIORITY.milestone,
          params: { orderId },
          text: `A parcel of order ${orderId} was delivered.`,
        },
      ];
    case "sub_order.sla_nudge": {
      const dispatchBy = displayTimeIn(String(p.slaDispatchBy), facts.timeZone);
      return [
        {
          threadKey: base.threadKey,
          audience: { kind: "vendor", vendorId: String(p.vendorId) },
          template: "vendor_sla_nudge",
          priority: PRIORITY.cancellation,
          params: { subOrderId: String(p.subOrderId), dispatchBy },
          text: `Dispatch sub-order ${String(p.subOrderId)} by ${dispatchBy}, or it is cancelled and refunded.`,
        },
      ];
    }
    default:
      return [];
  }
}
