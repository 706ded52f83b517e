import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import worker from "../../src/dev/index";
import { signHmacSha256 } from "../../src/domain/hmac";
import { config } from "../../src/platform/config";
import { ADMIN, api } from "../support/api";
import { BENGALURU, checkout, pay, stockedSku } from "../support/marketplace";
import { statusDelivery } from "../support/whatsapp";

// The notify project sends through a fake of WhatsApp's and Resend's APIs; Meta's status webhook is
// configured here on an env of this file's own, as a deployment that subscribed to it would be.
const APP_SECRET = "test-whatsapp-app-secret";
const HOOKED = { ...env, WHATSAPP_APP_SECRET: APP_SECRET, WHATSAPP_VERIFY_TOKEN: "test-verify-token" } as Env;

const fakeBase = () => config(env).whatsapp!.apiBase;

async function sentTo(recipient: string) {
  const all = (await (await fetch(`${fakeBase()}/_fake/requests`)).json()) as {
    provider: string;
    body: any;
    status: number;
  }[];
  return all.filter((r) => r.body?.to === recipient.replace(/\D/g, "") || r.body?.to?.[0] === recipient);
}

const send = (now: Date) =>
  api("POST", "/v1/admin/jobs/notification-sender/run", { token: ADMIN, body: { now: now.toISOString() } });

const minute = (day: number, m = 0) => new Date(Date.UTC(2032, 0, day, 0, m, 5));

/** Meta's POST to the webhook, signed as Meta signs it: HMAC-SHA256 of the body bytes with the app secret. */
async function metaReports(body: unknown) {
  const text = JSON.stringify(body);
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request("https://oms.test/v1/webhooks/whatsapp", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-hub-signature-256": await signHmacSha256(APP_SECRET, text),
      },
      body: text,
    }),
    HOOKED,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return res.status;
}

const failedStatus = (
  wamid: string,
  to: string,
  thread: string,
  error = { code: 131026, title: "Message undeliverable", details: "Message Undeliverable." },
) =>
  statusDelivery([
    {
      id: wamid,
      status: "failed",
      timestamp: "1956528065",
      recipient_id: to,
      biz_opaque_callback_data: thread,
      errors: [{ code: error.code, title: error.title, message: error.title, error_data: { details: error.details } }],
    },
  ]);

/** A shopper's paid order, once its confirmation is queued; `mine` lists the order's messages. */
async function paidOrderOf(name: string, phone: string, email: string) {
  const sku = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }] });
  const shopper = await api("POST", "/v1/customers", { body: { name, phone, email } });
  const placed = await checkout(shopper.body.token, [{ skuId: sku.skuId, qty: 1 }]);
  const orderId = placed.body.order.id as string;
  await pay(shopper.body.token, placed.body.payment.id);
  const mine = async () =>
    (await api("GET", `/v1/notifications?orderId=${orderId}`, { token: shopper.body.token })).body.items;
  await vi.waitFor(async () => expect(await mine()).toHaveLength(1), { timeout: 10_000 });
  return { orderId, mine };
}

describe("a landline number WhatsApp accepted a message for", () => {
  it("gets the order confirmation by email once Meta reports the message failed, and only once", async () => {
    const phone = "+91 80 4110 7777";
    const email = "landline.shopper@example.com";
    const { orderId, mine } = await paidOrderOf("Landline Shopper", phone, email);

    // Meta takes the send (HTTP 200 and a wamid): the number's trouble is known only later.
    await send(minute(1));
    const [whatsapp] = await mine();
    expect(whatsapp).toMatchObject({
      channel: "whatsapp",
      status: "sent",
      providerRef: expect.stringMatching(/^wamid\./),
    });

    const report = failedStatus(whatsapp.providerRef, "918041107777", `order:${orderId}`);
    expect(await metaReports(report)).toBe(200);
    await send(minute(1, 1));
    const rows = await mine();
    expect(rows.find((r: any) => r.channel === "whatsapp")).toMatchObject({
      status: "failed",
      error: expect.stringContaining("131026"),
    });
    expect(rows.find((r: any) => r.channel === "email")).toMatchObject({ status: "sent", recipient: email });
    const [mail] = await sentTo(email);
    expect(mail!.body.subject).toBe(`Your order is confirmed (${orderId})`);

    // Meta delivers again until it sees a 200, and sometimes after: nothing more goes out.
    expect(await metaReports(report)).toBe(200);
    await send(minute(1, 2));
    expect(await mine()).toHaveLength(2);
    expect(await sentTo(email)).toHaveLength(1);
    expect(await sentTo(phone)).toHaveLength(1);
  });
});

describe("a message Meta took, then failed for a limit of ours that passes", () => {
  it("is sent again after the sender's pause, not lost, and by WhatsApp rather than email", async () => {
    const phone = "+91 98454 00001";
    const email = "throttled.shopper@example.com";
    const { orderId, mine } = await paidOrderOf("Throttled Shopper", phone, email);

    await send(minute(2));
    const [first] = await mine();
    expect(first).toMatchObject({ channel: "whatsapp", status: "sent", attempts: 1 });

    // Meta reports the spam-rate throttle (131048) after it took the message.
    const throttled = { code: 131048, title: "Spam rate limit hit", details: "Message failed to send." };
    expect(await metaReports(failedStatus(first.providerRef, "919845400001", `order:${orderId}`, throttled))).toBe(200);
    const [queued] = await mine();
    expect(queued).toMatchObject({ status: "queued", attempts: 1, error: expect.stringContaining("131048") });

    // The sender's next run after the pause sends it again, on WhatsApp; nothing goes by email.
    await send(new Date(Date.parse(queued.nextAttemptAt) + 1_000));
    const rows = await mine();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ channel: "whatsapp", status: "sent", attempts: 2 });
    expect(rows[0].providerRef).not.toBe(first.providerRef);
    expect((await sentTo(phone)).map((r) => r.status)).toEqual([200, 200]);
    expect(await sentTo(email)).toEqual([]);
  });
});
