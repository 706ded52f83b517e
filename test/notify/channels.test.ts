import { env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { displayTimeIn } from "../../src/exports/format";
import { SEND_PAGE, sendNotifications } from "../../src/jobs/notification-sender";
import { deliveryOf } from "../../src/notifications/channels/port";
import { config } from "../../src/platform/config";
import { ADMIN, api, tokenFor } from "../support/api";
import { BENGALURU, checkout, lapseHold, pay, stockedSku } from "../support/marketplace";

const fakeBase = () => config(env).whatsapp!.apiBase;

async function sentTo(recipient: string) {
  const all = (await (await fetch(`${fakeBase()}/_fake/requests`)).json()) as {
    provider: string;
    headers: Record<string, string>;
    body: any;
    status: number;
  }[];
  return all.filter((r) => r.body?.to === recipient.replace(/\D/g, "") || r.body?.to?.[0] === recipient);
}

/** Makes the fake answer these statuses to a phone number's next messages. */
const script = (phone: string, statuses: number[]) =>
  fetch(`${fakeBase()}/_fake/script`, {
    method: "POST",
    body: JSON.stringify({ recipient: phone.replace(/\D/g, ""), statuses }),
  });

const send = (now: Date) =>
  api("POST", "/v1/admin/jobs/notification-sender/run", { token: ADMIN, body: { now: now.toISOString() } });

let n = 0;
/** A paid order of a shopper with these contact details, once its confirmation is queued. */
async function paidOrder(contact: { phone?: string; email?: string }) {
  const sku = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }] });
  const shopper = await api("POST", "/v1/customers", { body: { name: `Notified ${++n}`, ...contact } });
  const placed = await checkout(shopper.body.token, [{ skuId: sku.skuId, qty: 1 }]);
  const orderId = placed.body.order.id as string;
  await pay(shopper.body.token, placed.body.payment.id);
  const mine = async () =>
    (await api("GET", `/v1/notifications?orderId=${orderId}`, { token: shopper.body.token })).body.items;
  await vi.waitFor(async () => expect(await mine()).toHaveLength(1), { timeout: 10_000 });
  return { orderId, token: shopper.body.token as string, mine };
}

/** An approved template as WhatsApp's Cloud API takes it: its body parameters in order. */
const template = (name: string, ...texts: string[]) => ({
  name,
  language: { code: "en" },
  components: [{ type: "body", parameters: texts.map((text) => ({ type: "text", text })) }],
});

// Each test runs the sender on its own minute, far from the others', so their limits do not meet.
const minute = (day: number, m = 0) => new Date(Date.UTC(2031, 0, day, 0, m, 5));

describe("WhatsApp", () => {
  it("sends the confirmation as the approved template, with its parameters, in the order's thread", async () => {
    const phone = "+91 98450 10001";
    const o = await paidOrder({ phone });
    expect((await o.mine())[0]).toMatchObject({ channel: "whatsapp", recipient: phone, status: "queued" });
    expect((await send(minute(1))).body.result).toMatchObject({ sent: 1, retrying: 0, failed: 0 });

    const [req] = await sentTo(phone);
    expect(req!.headers.authorization).toBe(`Bearer ${config(env).whatsapp!.token}`);
    expect(req!.body).toEqual({
      messaging_product: "whatsapp",
      recipient_type: "individual",
      to: "919845010001",
      type: "template",
      template: template("order_confirmed", o.orderId),
      biz_opaque_callback_data: `order:${o.orderId}`,
    });
    const [sent] = await o.mine();
    expect(sent).toMatchObject({
      status: "sent",
      attempts: 1,
      error: null,
      providerRef: expect.stringMatching(/^wamid\./),
    });
    expect(sent.sentAt).toBe("2031-01-01T00:00:05Z");
  });

  it("retries a temporary refusal later and sends once; keeps a final refusal as failed with its reason", async () => {
    const busy = "+91 98450 10002";
    const o = await paidOrder({ phone: busy });
    await script(busy, [429]);
    expect((await send(minute(2))).body.result).toMatchObject({ sent: 0, retrying: 1 });
    let [row] = await o.mine();
    expect(row).toMatchObject({ status: "queued", attempts: 1, error: expect.stringContaining("130429") });
    expect(row.nextAttemptAt).toBe("2031-01-02T00:01:05Z");
    expect((await send(minute(2))).body.result.sent).toBe(0);
    expect((await send(minute(2, 1))).body.result.sent).toBe(1);
    [row] = await o.mine();
    expect(row).toMatchObject({ status: "sent", attempts: 2, nextAttemptAt: null });
    expect((await sentTo(busy)).map((r) => r.status)).toEqual([429, 200]);

    const wrong = "+91 98450 10003";
    const p = await paidOrder({ phone: wrong });
    await script(wrong, [400]);
    expect((await send(minute(3))).body.result).toMatchObject({ failed: 1 });
    const failed = await api("GET", `/v1/notifications?orderId=${p.orderId}&status=failed`, { token: p.token });
    expect(failed.body.items[0]).toMatchObject({ status: "failed", error: expect.stringContaining("132000") });
    await send(minute(3, 5));
    expect(await sentTo(wrong)).toHaveLength(1);
  });

  it("retries WhatsApp's throttles, which it answers with HTTP 400, instead of failing the message", async () => {
    // Several parcels of one order moving together trip the pair rate limit (one message per
    // shopper every few seconds): Meta says so with a 400 and code 131056.
    const phone = "+91 98450 10005";
    const o = await paidOrder({ phone });
    await script(phone, [131056]);
    expect((await send(minute(9))).body.result).toMatchObject({ sent: 0, retrying: 1, failed: 0 });
    let [row] = await o.mine();
    expect(row).toMatchObject({ status: "queued", attempts: 1, error: expect.stringContaining("131056") });
    expect(row.nextAttemptAt).toBe("2031-01-09T00:01:05Z");
    expect((await send(minute(9, 1))).body.result.sent).toBe(1);
    [row] = await o.mine();
    expect(row).toMatchObject({ status: "sent", attempts: 2 });
    expect((await sentTo(phone)).map((r) => r.status)).toEqual([400, 200]);
  });

  it("a sender still sending when the senders of later minutes run keeps its messages: none goes twice", async () => {
    // A sender claims a page of messages (SEND_PAGE; the rest of the minute continues on the queue),
    // eight in flight, each allowed 15 s: a slow provider keeps it busy for minutes while the next
    // minutes' senders run.
    const busy = { ...env, NOTIFY_RATE_PER_MINUTE: "220" } as Env;
    const order = await paidOrder({ phone: "+91 98450 10006" });
    const row = await env.DB.prepare("select customer_id as c from orders where id = ?")
      .bind(order.orderId)
      .first<{ c: string }>();
    const recipients = Array.from({ length: 80 }, (_, i) => `+9198452${String(i).padStart(5, "0")}`);
    await env.DB.batch(
      recipients.map((to, i) =>
        env.DB.prepare(
          "insert into notifications (id, order_id, customer_id, thread_key, channel, recipient, template, priority, payload, dedupe_key, created_at) values (?, ?, ?, ?, 'whatsapp', ?, 'shipment_delivered', 3, ?, ?, '2031-01-10T00:00:00Z')",
        ).bind(
          `wa-slow-${i}`,
          order.orderId,
          row!.c,
          `order:${order.orderId}`,
          to,
          JSON.stringify({ params: { orderId: order.orderId }, text: "Delivered" }),
          `wa-slow:${i}`,
        ),
      ),
    );
    await fetch(`${fakeBase()}/_fake/slow`, {
      method: "POST",
      body: JSON.stringify({ recipients: recipients.map((r) => r.replace(/\D/g, "")), ms: 100 }),
    });
    const t0 = minute(10);
    const first = sendNotifications(busy, t0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // The sender two minutes and ten seconds on, while the first is still sending.
    const later = await sendNotifications(busy, new Date(t0.getTime() + 130_000));
    const done = await first;
    // The first took the confirmation and a page's worth of the rest; the later one another page.
    expect(done.sent).toBe(SEND_PAGE);
    expect(later.sent).toBe(SEND_PAGE);
    const counts = await Promise.all(recipients.map(async (r) => (await sentTo(r)).length));
    expect(counts.filter((c) => c > 1)).toEqual([]);
    expect(counts.filter((c) => c === 1)).toHaveLength(2 * SEND_PAGE - 1);
    const stored = await env.DB.prepare(
      "select count(*) as n from notifications where id like 'wa-slow-%' and status = 'sent' and sent_at = ?",
    )
      .bind("2031-01-10T00:00:05Z")
      .first<{ n: number }>();
    expect(stored!.n).toBe(SEND_PAGE - 1);
  });

  it("two senders at once send each message once and stay under the per-minute limit", async () => {
    const order = await paidOrder({ phone: "+91 98450 10004" });
    const row = await env.DB.prepare("select customer_id as c from orders where id = ?")
      .bind(order.orderId)
      .first<{ c: string }>();
    const recipients = Array.from({ length: 50 }, (_, i) => `+9198451${String(i).padStart(5, "0")}`);
    await env.DB.batch(
      recipients.map((to, i) =>
        env.DB.prepare(
          "insert into notifications (id, order_id, customer_id, thread_key, channel, recipient, template, priority, payload, dedupe_key, created_at) values (?, ?, ?, ?, 'whatsapp', ?, 'shipment_delivered', 3, ?, ?, '2031-01-04T00:00:00Z')",
        ).bind(
          `wa-burst-${i}`,
          order.orderId,
          row!.c,
          `order:${order.orderId}`,
          to,
          JSON.stringify({ params: { orderId: order.orderId }, text: "Delivered" }),
          `wa-burst:${i}`,
        ),
      ),
    );
    const [a, b] = await Promise.all([send(minute(4)), send(minute(4))]);
    // 20 a minute (NOTIFY_RATE_PER_MINUTE in this project), the queued confirmation first.
    expect(a.body.result.sent + b.body.result.sent).toBe(20);
    const counts = await Promise.all(recipients.map(async (r) => (await sentTo(r)).length));
    expect(counts.filter((c) => c > 1)).toEqual([]);
    expect(counts.reduce((x, y) => x + y, 0)).toBe(19);
    const [c, d] = await Promise.all([send(minute(4, 1)), send(minute(4, 1))]);
    expect(c.body.result.sent + d.body.result.sent).toBe(20);
  });
});

describe("email", () => {
  it("threads every message of an order under one root, and keys each send to its notification", async () => {
    const address = "asha.rao@example.in";
    const o = await paidOrder({ email: address });
    const cancelled = await api("POST", `/v1/orders/${o.orderId}/cancel`, {
      token: o.token,
      body: { reason: "changed_mind" },
    });
    expect(cancelled.status).toBe(200);
    await vi.waitFor(async () => expect(await o.mine()).toHaveLength(2), { timeout: 10_000 });
    await send(minute(5));

    const sent = await sentTo(address);
    expect(sent).toHaveLength(2);
    const root = `<order.${o.orderId}@oms.test>`;
    for (const r of sent) {
      expect(r.headers.authorization).toBe(`Bearer ${config(env).email!.apiKey}`);
      expect(r.body.headers).toEqual({ "In-Reply-To": root, References: root });
      expect(r.body.from).toBe("Edge OMS <orders@oms.test>");
    }
    const rows = await o.mine();
    expect(new Set(sent.map((r) => r.headers["idempotency-key"]))).toEqual(new Set(rows.map((r: any) => r.id)));
    expect(sent.map((r) => r.body.subject).sort()).toEqual([
      `Your order is cancelled (${o.orderId})`,
      `Your order is confirmed (${o.orderId})`,
    ]);
    expect(rows.every((r: any) => r.channel === "email" && r.status === "sent")).toBe(true);
  });

  it("a shopper with no contact details gets recorded messages only", async () => {
    const o = await paidOrder({});
    expect((await o.mine())[0]).toMatchObject({ channel: "local" });
    await send(minute(6));
    expect((await o.mine())[0]).toMatchObject({ status: "sent", providerRef: expect.stringMatching(/^local:/) });
  });
});

describe("an unpaid order", () => {
  it("never messages the contact a guest typed: its messages are only recorded", async () => {
    const phone = "+91 98450 19999";
    const sku = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }] });
    const shopper = await api("POST", "/v1/customers", { body: { name: `Unpaid ${++n}`, phone } });
    const placed = await checkout(shopper.body.token, [{ skuId: sku.skuId, qty: 1 }]);
    const orderId = placed.body.order.id as string;
    const cancel = await api("POST", `/v1/orders/${orderId}/cancel`, {
      token: shopper.body.token,
      body: { reason: "changed_mind", note: "call me on another number" },
    });
    expect(cancel.status).toBe(200);
    const mine = async () =>
      (await api("GET", `/v1/notifications?orderId=${orderId}`, { token: shopper.body.token })).body.items;
    await vi.waitFor(async () => expect(await mine()).toHaveLength(1), { timeout: 10_000 });
    expect((await mine())[0]).toMatchObject({ channel: "local", template: "order_cancelled_no_refund" });
    expect((await mine())[0].recipient).not.toContain("98450");
    await send(minute(7));
    expect(await sentTo(phone)).toEqual([]);
  });
});

describe("vendor nudges", () => {
  const watch = (now: Date) =>
    api("POST", "/v1/admin/jobs/sla-watcher/run", { token: ADMIN, body: { now: now.toISOString() } });

  /** A paid sub-order of a vendor with these contact details, and that vendor's token. */
  async function paidSubOrder(contact: { contactPhone?: string; contactEmail?: string }) {
    const sku = await stockedSku({
      warehouses: [{ at: BENGALURU, onHand: 5 }],
      vendor: { dispatchSlaHours: 18, nudgeLeadHours: 6, ...contact },
    });
    const shopper = await api("POST", "/v1/customers", { body: { name: `Nudged ${++n}` } });
    const placed = await checkout(shopper.body.token, [{ skuId: sku.skuId, qty: 1 }]);
    const paid = await pay(shopper.body.token, placed.body.payment.id);
    const subOrderId = paid.body.subOrders[0].id as string;
    const vendor = await tokenFor("vendor", { vendorId: sku.vendorId });
    const mine = async () =>
      (await api("GET", "/v1/notifications", { token: vendor })).body.items.filter(
        (m: any) => m.template === "vendor_sla_nudge",
      );
    return { vendorId: sku.vendorId, subOrderId, vendor, shopper: shopper.body.token as string, mine };
  }

  it("reach the vendor's WhatsApp as the approved template, and only that vendor sees them", async () => {
    const phone = "+91 98450 20001";
    const s = await paidSubOrder({ contactPhone: phone });
    expect((await watch(new Date(Date.now() + 13 * 3_600_000))).status).toBe(200);
    await vi.waitFor(async () => expect(await s.mine()).toHaveLength(1), { timeout: 10_000 });
    const [queued] = await s.mine();
    expect(queued).toMatchObject({ channel: "whatsapp", recipient: phone, vendorId: s.vendorId, status: "queued" });

    await send(minute(7));
    const [req] = await sentTo(phone);
    const dispatchBy = (await env.DB.prepare("select sla_dispatch_by as d from sub_orders where id = ?")
      .bind(s.subOrderId)
      .first<{ d: string }>())!.d;
    // The deadline as the vendor reads it, where the marketplace is (Asia/Kolkata here).
    const local = displayTimeIn(dispatchBy, config(env).timeZone);
    expect(local).toMatch(/ IST$/);
    expect(req!.body.template).toEqual(template("vendor_sla_nudge", s.subOrderId, local));
    expect((await s.mine())[0]).toMatchObject({ status: "sent", providerRef: expect.stringMatching(/^wamid\./) });

    const other = await tokenFor("vendor", { vendorId: (await stockedSku({ warehouses: [] })).vendorId });
    const theirs = await api("GET", `/v1/notifications?vendorId=${s.vendorId}`, { token: other });
    expect(theirs.body.items).toEqual([]);
    const shoppers = await api("GET", "/v1/notifications", { token: s.shopper });
    expect(shoppers.body.items.some((m: any) => m.template === "vendor_sla_nudge")).toBe(false);
    const ops = await api("GET", `/v1/notifications?vendorId=${s.vendorId}`, { token: ADMIN });
    expect(ops.body.items.map((m: any) => m.template)).toEqual(["vendor_sla_nudge"]);
  });

  it("fall back to the vendor's email, and are recorded for a vendor with no contact", async () => {
    const address = "dispatch@vendor.example.com";
    const byEmail = await paidSubOrder({ contactEmail: address });
    const unreachable = await paidSubOrder({});
    await watch(new Date(Date.now() + 13 * 3_600_000));
    await vi.waitFor(
      async () => {
        expect(await byEmail.mine()).toHaveLength(1);
        expect(await unreachable.mine()).toHaveLength(1);
      },
      { timeout: 10_000 },
    );
    expect((await byEmail.mine())[0]).toMatchObject({ channel: "email", recipient: address });
    expect((await unreachable.mine())[0]).toMatchObject({
      channel: "local",
      recipient: `vendor:${unreachable.vendorId}`,
    });

    await send(minute(8));
    const [mail] = await sentTo(address);
    expect(mail!.body.subject).toMatch(/^Dispatch due soon \(ord_/);
    expect(mail!.body.text).toContain(byEmail.subOrderId);
  });
});

describe("a number WhatsApp cannot deliver to", () => {
  it("sends the message by email instead, when the shopper gave an address, once", async () => {
    const phone = "+91 98450 15555";
    const email = `no-whatsapp-${++n}@example.com`;
    const o = await paidOrder({ phone, email });
    await script(phone, [131026]);
    await send(minute(15));
    const rows = await o.mine();
    expect(rows.find((r: any) => r.channel === "whatsapp")).toMatchObject({ status: "failed" });
    expect(rows.find((r: any) => r.channel === "email")).toMatchObject({ status: "sent", recipient: email });
    await send(minute(15, 5));
    expect(await o.mine()).toHaveLength(2);
  });
});

describe("a phone number typed without its country code", () => {
  it("is dialled in the marketplace's country, and one that is no number is not dialled at all", async () => {
    const local = await paidOrder({ phone: "98450 16666" });
    const nonsense = await paidOrder({ phone: "12345 6" });
    await send(minute(13));
    const sent = (await (await fetch(`${fakeBase()}/_fake/requests`)).json()) as { body: any }[];
    expect(sent.filter((r) => r.body?.to === "919845016666")).toHaveLength(1);
    expect(sent.filter((r) => String(r.body?.to ?? "").includes("123456"))).toEqual([]);
    expect((await local.mine())[0]).toMatchObject({ status: "sent" });
    expect((await nonsense.mine())[0]).toMatchObject({ status: "failed" });
    expect((await nonsense.mine())[0].error).toContain("not a valid phone number");
  });
});

describe("a shopper whose payment came too late", () => {
  it("hears that the money is on its way back: someone paid, so the contact is no stranger's", async () => {
    const phone = "+91 98450 17777";
    const sku = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 1 }] });
    const late = await api("POST", "/v1/customers", { body: { name: `Late ${++n}`, phone } });
    const given = await checkout(late.body.token, [{ skuId: sku.skuId, qty: 1 }]);
    const orderId = given.body.order.id as string;
    // Its hold lapses and another shopper takes the one unit before the payment arrives.
    await lapseHold(sku.skuId, orderId);
    const other = await api("POST", "/v1/customers", { body: { name: `Quick ${++n}` } });
    expect((await checkout(other.body.token, [{ skuId: sku.skuId, qty: 1 }])).status).toBe(201);
    expect((await pay(late.body.token, given.body.payment.id)).body.paymentStatus).toBe("refunded");
    const mine = async () =>
      (await api("GET", `/v1/notifications?orderId=${orderId}`, { token: late.body.token })).body.items;
    await vi.waitFor(async () => expect(await mine()).toHaveLength(1), { timeout: 10_000 });
    expect((await mine())[0]).toMatchObject({ channel: "whatsapp", template: "order_cancelled" });
    await send(minute(11));
    const [message] = await sentTo(phone);
    expect(message!.body.template.name).toBe("order_cancelled");
  });
});

describe("a provider's answer that breaks off", () => {
  it("is a failure to retry, not an error that loses the other messages' outcomes", async () => {
    const broken = new Response(
      new ReadableStream({
        start(controller) {
          controller.error(new Error("connection reset"));
        },
      }),
      { status: 200 },
    );
    const delivery = await deliveryOf(broken, () => "wamid.1");
    expect(delivery).toMatchObject({ ok: false, retry: true });
    expect((delivery as { error: string }).error).toContain("connection reset");
  });
});

describe("the email channel's lease", () => {
  it("runs from when its messages are claimed, not from the start of a run WhatsApp made slow", async () => {
    const phone = "+91 98450 18888";
    const email = `lease-${++n}@example.com`;
    await fetch(`${fakeBase()}/_fake/slow`, {
      method: "POST",
      body: JSON.stringify({ recipients: [phone.replace(/\D/g, ""), email], ms: 2_000 }),
    });
    const viaWhatsApp = await paidOrder({ phone });
    const viaEmail = await paidOrder({ email });
    const t0 = minute(12);
    const run = send(t0);
    // While the email is out (WhatsApp took two seconds first), its lease reaches past the run's
    // start by a full lease and the time WhatsApp took.
    const lease = await vi.waitFor(
      async () => {
        const row = await env.DB.prepare(
          "select lease_until as l from notifications where order_id = ? and channel = 'email'",
        )
          .bind(viaEmail.orderId)
          .first<{ l: string | null }>();
        if (!row?.l) throw new Error("not claimed yet");
        return row.l;
      },
      { timeout: 6_000, interval: 50 },
    );
    const limit = config(env).notifyRatePerMinute;
    const leaseSeconds = Math.ceil(limit / 8) * 15 + 60;
    expect(Date.parse(lease) - t0.getTime()).toBeGreaterThanOrEqual((leaseSeconds + 1) * 1000);
    expect((await run).status).toBe(200);
    expect((await viaWhatsApp.mine())[0].status).toBe("sent");
  });
});
