import { describe, expect, it } from "vitest";
import { signHmacSha256 } from "../../src/domain/hmac";
import { ADMIN, api, tokenFor } from "../support/api";
import { BENGALURU, packedSubOrder, stockedSku } from "../support/marketplace";

/** A sub-order dispatched with `carrier`, ready for that carrier's "delivered" event. */
async function dispatchedWith(carrier: string, awb: string) {
  const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 3 }] });
  const vendor = await tokenFor("vendor", { vendorId: s.vendorId });
  const sub = await packedSubOrder(s.skuId, vendor);
  const sent = await api("POST", `/v1/sub-orders/${sub}/dispatch`, { token: vendor, body: { carrier, awb } });
  expect(sent.status).toBe(200);
  return sub;
}

describe("carrier webhook secrets", () => {
  it("are looked up by own carrier code only: Object.prototype's names verify nothing", async () => {
    const added = await api("PUT", "/v1/carriers/constructor", {
      token: ADMIN,
      body: { name: "Inherited", awbPattern: "^CN[0-9]{6}$", awbExample: "CN123456" },
    });
    expect(added.status).toBe(201);
    const sub = await dispatchedWith("constructor", "CN000001");
    const body = JSON.stringify({ awb: "CN000001", event: "delivered", at: "2026-11-22T10:00:00Z" });
    // What a plain-object lookup would have handed to the HMAC key as text.
    const publicStrings: [string, string[]][] = [
      ["constructor", [String(Object), "function Object() { [native code] }"]],
      ["__proto__", [String(Object.prototype), "[object Object]"]],
      ["toString", [String(Object.prototype.toString), "function toString() { [native code] }"]],
      ["hasOwnProperty", [String(Object.prototype.hasOwnProperty)]],
    ];
    for (const [carrier, secrets] of publicStrings) {
      for (const secret of secrets) {
        const r = await api("POST", `/v1/webhooks/carriers/${carrier}`, {
          rawBody: body,
          headers: { "content-type": "application/json", "x-signature": await signHmacSha256(secret, body) },
        });
        expect(r.status, `${carrier} signed with ${secret}`).toBe(404);
        expect(r.headers.get("content-type")).toContain("application/problem+json");
      }
    }
    const view = (await api("GET", `/v1/sub-orders/${sub}`, { token: ADMIN })).body;
    expect(view.status).toBe("dispatched");
    expect(view.timeline.map((e: any) => e.type)).not.toContain("sub_order.delivered");
  });
});
