import type { Config } from "../../platform/config";
import { type Channel, deliveryOf, post } from "./port";

type Settings = NonNullable<Config["email"]>;

/**
 * One subject per template a shopper or vendor can be sent (notifications/compose.ts, the low-stock
 * alert, the sign-in link); ops alerts are only recorded. A template missing here reads as the
 * vague fallback, so each new template gets its own line.
 */
const SUBJECTS: Readonly<Record<string, string>> = {
  order_confirmed: "Your order is confirmed",
  order_confirmed_split: "Your order is confirmed",
  order_cancelled: "Your order is cancelled",
  order_cancelled_no_refund: "Your order is cancelled",
  order_cancelled_late: "Your order could not be shipped in time",
  order_cancelled_late_no_refund: "Your order could not be shipped in time",
  order_returned_to_seller: "Your order could not be delivered",
  order_returned_to_seller_no_refund: "Your order could not be delivered",
  order_lost: "Your order was lost in transit",
  order_lost_no_refund: "Your order was lost in transit",
  shipment_cancelled: "A parcel of your order is cancelled",
  shipment_cancelled_no_refund: "A parcel of your order is cancelled",
  shipment_cancelled_late: "A parcel of your order could not be shipped in time",
  shipment_cancelled_late_no_refund: "A parcel of your order could not be shipped in time",
  shipment_returned_to_seller: "A parcel of your order could not be delivered",
  shipment_returned_to_seller_no_refund: "A parcel of your order could not be delivered",
  shipment_lost: "A parcel of your order was lost in transit",
  shipment_lost_no_refund: "A parcel of your order was lost in transit",
  shipment_dispatched: "A parcel of your order is on its way",
  shipment_tracking_corrected: "The tracking number of your parcel has changed",
  shipment_out_for_delivery: "A parcel of your order is out for delivery",
  shipment_delivery_attempted: "We could not deliver a parcel of your order",
  shipment_delivered: "A parcel of your order is delivered",
  refund_sent: "Your refund is on its way",
  refund_settled: "Your refund was paid another way",
  refund_failed_retrying: "Your bank refused your refund: we are sending it again",
  refund_failed_contact: "Your bank refused your refund: we will contact you",
  vendor_sla_nudge: "Dispatch due soon",
  vendor_sign_in: "Your sign-in link",
  low_stock: "Stock is running low",
};

export const FALLBACK_SUBJECT = "An update on your order";

export function subjectOf(template: string): string {
  return Object.hasOwn(SUBJECTS, template) ? SUBJECTS[template]! : FALLBACK_SUBJECT;
}

/**
 * Resend refusals about our account or sender, not the message's recipient (Resend's "Errors"
 * reference): a 403 is an invalid key, or a sending domain not verified (mail only to the account's
 * own address until it is); 409 `concurrent_idempotent_requests` is this message's own earlier try
 * still in progress; a `from` address that is malformed or whose domain is unverified is our
 * configuration. An operator clears these within minutes or hours. An invalid `to` stays final.
 */
const temporary = (body: unknown, status: number) => {
  const { name, message } = (body ?? {}) as { name?: unknown; message?: unknown };
  if (status === 403) return true;
  if (name === "concurrent_idempotent_requests" || name === "invalid_from_address") return true;
  return (
    (status === 400 || status === 422) &&
    typeof message === "string" &&
    /`from`|domain is not verified|verify (a|your) domain/i.test(message)
  );
};

/**
 * Email through Resend (`POST /emails`). Every message of an order replies to the same root
 * Message-ID, so mail clients show one thread per order however many parcels there are. The
 * notification id is the idempotency key: a retry after a lost answer sends nothing twice.
 */
export function emailChannel(s: Settings): Channel {
  const url = `${s.apiBase.replace(/\/$/, "")}/emails`;
  const domain = s.from.replace(/^.*@/, "").replace(/>.*$/, "");
  return {
    async send(m) {
      const root = `<${m.threadKey.replace(/[^A-Za-z0-9_.-]/g, ".")}@${domain}>`;
      const res = await post(url, {
        headers: {
          authorization: `Bearer ${s.apiKey}`,
          "content-type": "application/json",
          "idempotency-key": m.id,
        },
        body: JSON.stringify({
          from: s.from,
          to: [m.recipient],
          subject: `${subjectOf(m.template)}${m.orderId ? ` (${m.orderId})` : ""}`,
          text: m.text,
          headers: { "In-Reply-To": root, References: root },
        }),
      });
      if (!(res instanceof Response)) return res;
      return deliveryOf(res, (body) => (body as { id?: string })?.id, temporary);
    },
  };
}
