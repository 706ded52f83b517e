import { env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { config } from "../../src/platform/config";
import { ADMIN, api, tokenFor, uid } from "../support/api";
import { BENGALURU, checkout, pay, stockedSku } from "../support/marketplace";

const fakeBase = () => config(env).whatsapp!.apiBase;

async function sentTo(phone: string) {
  const all = (await (await fetch(`${fakeBase()}/_fake/requests`)).json()) as { body: any; status: number }[];
  return all.filter((r) => r.body?.to === phone.replace(/\D/g, ""));
}

const send = (now: Date) =>
  api("POST", "/v1/admin/jobs/notification-sender/run", { token: ADMIN, body: { now: now.toISOString() } });

let seq = 0;
/** A Delhivery AWB (13-14 digits) no other test of this file uses. */
const delhiveryAwb = () => `9${String(Date.now() % 1e9).padStart(9, "0")}${String(++seq).padStart(4, "0")}`;

describe("a dispatched parcel's AWB corrected by its vendor", () => {
  it("tells the shopper, who was sent the wrong one at dispatch, the right carrier and AWB", async () => {
    const phone = "+91 98453 00001";
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }] });
    const vendor = await tokenFor("vendor", { vendorId: s.vendorId });
    const shopper = await api("POST", "/v1/customers", { body: { name: "Tracking Shopper", phone } });
    const placed = await checkout(shopper.body.token, [{ skuId: s.skuId, qty: 1 }]);
    const paid = await pay(shopper.body.token, placed.body.payment.id);
    const orderId = paid.body.id as string;
    const sub = paid.body.subOrders[0].id as string;
    expect((await api("POST", `/v1/sub-orders/${sub}/confirm`, { token: vendor })).status).toBe(200);
    const barcode = (await api("GET", `/v1/sub-orders/${sub}`, { token: vendor })).body.lines[0].barcode;
    expect(
      (await api("POST", `/v1/sub-orders/${sub}/pack`, { token: vendor, body: { scanned: [barcode] } })).status,
    ).toBe(200);
    const wrong = delhiveryAwb();
    const right = delhiveryAwb();
    expect(
      (
        await api("POST", `/v1/sub-orders/${sub}/dispatch`, {
          token: vendor,
          body: { carrier: "delhivery", awb: wrong },
        })
      ).status,
    ).toBe(200);
    const fixed = await api("POST", `/v1/sub-orders/${sub}/awb`, {
      token: vendor,
      body: { carrier: "delhivery", awb: right, reason: "typo" },
      headers: { "Idempotency-Key": uid("awb-fix-") },
    });
    expect(fixed.status).toBe(200);

    const mine = async () =>
      (await api("GET", `/v1/notifications?orderId=${orderId}`, { token: shopper.body.token })).body.items as any[];
    await vi.waitFor(
      async () => expect((await mine()).map((n) => n.template)).toContain("shipment_tracking_corrected"),
      { timeout: 10_000 },
    );
    const notice = (await mine()).find((n) => n.template === "shipment_tracking_corrected");
    expect(notice).toMatchObject({ channel: "whatsapp", recipient: phone, subOrderId: sub, status: "queued" });
    expect(notice.text).toContain(`AWB ${right}`);
    expect(notice.text).not.toContain(wrong);

    await send(new Date(Date.UTC(2033, 0, 1, 0, 0, 5)));
    const [message] = (await sentTo(phone)).filter((r) => r.body.template.name === "shipment_tracking_corrected");
    expect(message!.status).toBe(200);
    const params = message!.body.template.components[0].parameters.map((p: { text: string }) => p.text);
    expect(params[0]).toBe(orderId);
    expect(params[2]).toBe(right);
    expect(params).not.toContain(wrong);
  });
});
