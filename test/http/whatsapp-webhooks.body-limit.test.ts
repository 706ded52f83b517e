import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, uid } from "../support/api";
import { postSignedDelivery, statusDelivery } from "../support/whatsapp";

// This project configures no WhatsApp webhook: the Worker runs on an env of its own that does.
const APP_SECRET = "test-whatsapp-app-secret-body-limit";
const HOOKED = {
  ...env,
  WHATSAPP_APP_SECRET: APP_SECRET,
  WHATSAPP_VERIFY_TOKEN: "test-whatsapp-verify-token-body-limit",
  EMAIL_API_KEY: "re_test_key",
  EMAIL_FROM: "Edge OMS <orders@oms.test>",
} as Env;

/** Meta's POST of `text` as it sends it: signed with X-Hub-Signature-256 over the raw bytes. */
async function deliverRaw(text: string) {
  const { status, body } = await postSignedDelivery(text, APP_SECRET, HOOKED);
  return { status, body: body ? JSON.parse(body) : null };
}

/** A WhatsApp message recorded as sent under its wamid, to a shopper who also gave an email address. */
async function sentMessage() {
  const shopper = await api("POST", "/v1/customers", {
    body: { name: "Landline Shopper", phone: "+91 80 4110 5555", email: `shopper-${uid()}@example.com` },
  });
  expect(shopper.status).toBe(201);
  const id = uid("ntf_wa");
  const wamid = `wamid.${uid()}`;
  await env.DB.prepare(
    "insert into notifications (id, customer_id, thread_key, channel, recipient, template, priority, payload, status, attempts, provider_ref, dedupe_key, created_at, sent_at, last_attempt_at) values (?, ?, ?, 'whatsapp', '+91 80 4110 5555', 'order_confirmed', 0, ?, 'sent', 1, ?, ?, '2026-11-20T10:00:00Z', '2026-11-20T10:00:05Z', '2026-11-20T10:00:05Z')",
  )
    .bind(
      id,
      shopper.body.customerId,
      `order:${uid("ord")}`,
      JSON.stringify({ params: { orderId: "ord_x", shipments: "1" }, text: "Confirmed" }),
      wamid,
      `dedupe:${id}`,
    )
    .run();
  return { id, wamid, customerId: shopper.body.customerId as string };
}

/** A batch as Meta sends one after an outage: `count` delivered statuses (unknown wamids), and `failed` among them. */
function batch(count: number, failed: Record<string, unknown>) {
  const statuses = Array.from({ length: count }, (_, i) => ({
    id: `wamid.HBgMOTE5ODQ1MDE1NTU1FQIAERgS${uid()}${i}`,
    status: "delivered",
    timestamp: "1750857384",
    recipient_id: "919845015555",
    conversation: { id: "a75d17ad06104c51166f948319b03c6a", origin: { type: "utility" } },
    pricing: { billable: true, pricing_model: "CBP", category: "utility" },
    biz_opaque_callback_data: `order:${uid("ord")}`,
  }));
  statuses.splice(Math.floor(count / 2), 0, failed as (typeof statuses)[number]);
  return JSON.stringify(statusDelivery(statuses));
}

describe("WhatsApp status webhook: a delivery larger than an ordinary JSON body", () => {
  it("takes a signed ~300 KB batch of statuses and acts on the failure in it", async () => {
    const m = await sentMessage();
    const text = batch(999, {
      id: m.wamid,
      status: "failed",
      timestamp: "1750857384",
      recipient_id: "918041105555",
      errors: [{ code: 131026, title: "Message undeliverable", error_data: { details: "Message Undeliverable." } }],
    });
    // Over the 256 KiB every other JSON route takes, well under the 3 MB Meta documents for a delivery.
    expect(text.length).toBeGreaterThan(300_000);
    expect(text.length).toBeLessThan(3 * 1024 * 1024);

    const r = await deliverRaw(text);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toEqual({ received: true });

    const rows = (
      await env.DB.prepare("select channel, status from notifications where customer_id = ? order by channel desc")
        .bind(m.customerId)
        .all<{ channel: string; status: string }>()
    ).results;
    expect(rows).toEqual([
      { channel: "whatsapp", status: "failed" },
      { channel: "email", status: "queued" },
    ]);
  });

  it("still refuses a body over Meta's 3 MB with 413, before reading it", async () => {
    const text = JSON.stringify({ object: "whatsapp_business_account", entry: [], pad: "x".repeat(3 * 1024 * 1024) });
    const r = await deliverRaw(text);
    expect(r.status).toBe(413);
    expect(r.body).toMatchObject({ code: "PAYLOAD_TOO_LARGE" });
  });
});
