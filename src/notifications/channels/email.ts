import type { Config } from "../../platform/config";
import { type Channel, deliveryOf, post } from "./port";

type Settings = NonNullable<Config["email"]>;

const SUBJECTS: Record<string, string> = {
  order_confirmed: "Your order is confirmed",
  order_cancelled: "Your order is cancelled",
  shipment_cancelled: "A parcel of your order is cancelled",
  shipment_dispatched: "A parcel of your order is on its way",
  shipment_out_for_delivery: "A parcel of your order is out for delivery",
  shipment_delivery_attempted: "We could not deliver a parcel of your order",
  shipment_delivered: "A parcel of your order is delivered",
  vendor_sla_nudge: "Dispatch due soon",
  vendor_sign_in: "Your sign-in link",
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
          subject: `${SUBJECTS[m.template] ?? "An update on your order"}${m.orderId ? ` (${m.orderId})` : ""}`,
          text: m.text,
          headers: { "In-Reply-To": root, References: root },
        }),
      });
      if (!(res instanceof Response)) return res;
      return deliveryOf(res, (body) => (body as { id?: string })?.id);
    },
  };
}
