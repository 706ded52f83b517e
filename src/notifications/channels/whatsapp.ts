import { internationalDigits } from "../../domain/phone";
import type { Config } from "../../platform/config";
import { type Channel, deliveryOf, post } from "./port";

type Settings = NonNullable<Config["whatsapp"]>;

/**
 * Graph API error codes that pass with time. Meta answers its throttles (throughput, pair rate,
 * spam rate, app call limits) with HTTP 400, so by status alone a shopper's confirmation sent a
 * moment after another message to them would be failed for good.
 */
const TEMPORARY_CODES = new Set([1, 2, 4, 17, 341, 80007, 130429, 131000, 131016, 131048, 131056, 133004]);

const temporary = (body: unknown) => {
  const code = (body as { error?: { code?: unknown } } | undefined)?.error?.code;
  return TEMPORARY_CODES.has(Number(code));
};

/**
 * WhatsApp Business Cloud API: every message is an approved template (business-initiated
 * messages must be) named as our templates are, its body parameters in the order the message
 * composes them. The order id rides in `biz_opaque_callback_data`, so the provider's status
 * webhooks name the thread. The recipient is a phone number as typed; WhatsApp wants its
 * international digits, the marketplace's `country` code added where none was typed.
 */
export function whatsappChannel(s: Settings, country: string): Channel {
  const url = `${s.apiBase.replace(/\/$/, "")}/${s.apiVersion}/${encodeURIComponent(s.phoneNumberId)}/messages`;
  return {
    async send(m) {
      const to = internationalDigits(m.recipient, country);
      // Sending it anyway would reach whoever has those digits abroad, or no one.
      if (!to) return { ok: false, retry: false, error: `not a valid phone number in ${country} or abroad` };
      const res = await post(url, {
        headers: { authorization: `Bearer ${s.token}`, "content-type": "application/json" },
        body: JSON.stringify({
          messaging_product: "whatsapp",
          recipient_type: "individual",
          to,
          type: "template",
          template: {
            name: m.template,
            language: { code: s.language },
            components: [
              {
                type: "body",
                parameters: Object.values(m.params).map((v) => ({ type: "text", text: String(v) })),
              },
            ],
          },
          biz_opaque_callback_data: m.threadKey,
        }),
      });
      if (!(res instanceof Response)) return res;
      return deliveryOf(res, (body) => (body as { messages?: { id?: string }[] })?.messages?.[0]?.id, temporary);
    },
  };
}
