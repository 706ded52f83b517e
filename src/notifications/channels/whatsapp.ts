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

/**
 * Graph API error codes about our account, not the message or its recipient (Meta's "WhatsApp
 * error codes"): an operator clears them within minutes or hours, and every message refused
 * meanwhile would otherwise be lost. 0 and 190: the access token expired or was invalidated
 * (HTTP 401); 10, 200-299 and 131005: a permission not granted or revoked (403); 368: the business
 * account temporarily blocked for a policy violation; 131031: the account locked; 131042: a
 * payment or billing problem of the account; 131057: the account in maintenance mode; 133010: the
 * business number not registered; 132015: the template paused for low quality (Meta lifts a pause
 * after hours); 132001: no approved template of that name and language, which is what Meta answers
 * between a deploy that names a new template and its approval in WhatsApp Manager (the retries span
 * about four hours). Recipient-level refusals (131026 no WhatsApp on that number, 130497 a country
 * the account may not message) and errors in the message itself (100, 132000) stay final.
 */
const ACCOUNT_CODES = new Set([0, 10, 190, 368, 131005, 131031, 131042, 131057, 132001, 132015, 133010]);

/**
 * Whether a Graph API error code is a refusal that passes or that an operator clears, so the
 * message is tried again later: the one classification for Meta's answer to a send and for a
 * failure its status webhook reports after taking the message (notifications/delivery-status.ts).
 */
export function retryableWhatsAppCode(code: number): boolean {
  return TEMPORARY_CODES.has(code) || ACCOUNT_CODES.has(code) || (code >= 200 && code <= 299);
}

const temporary = (body: unknown) => {
  const raw = (body as { error?: { code?: unknown } } | undefined)?.error?.code;
  if (raw === undefined || raw === null || raw === "") return false;
  return retryableWhatsAppCode(Number(raw));
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
