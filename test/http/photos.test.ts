import { describe, expect, it } from "vitest";
import { ADMIN, api, newCustomer, tokenFor, uid } from "../support/api";
import { BENGALURU, checkout, packedSubOrder, pay, stockedSku } from "../support/marketplace";

const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1]);
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);

async function paidSubOrder() {
  const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 3 }] });
  const shopper = await newCustomer();
  const placed = await checkout(shopper.token, [{ skuId: s.skuId, qty: 1 }]);
  const paid = await pay(shopper.token, placed.body.payment.id);
  return {
    sub: paid.body.subOrders[0].id as string,
    vendor: await tokenFor("vendor", { vendorId: s.vendorId }),
    shopper,
  };
}

const put = (token: string, sub: string, body: Uint8Array, type: string) =>
  api("PUT", `/v1/sub-orders/${sub}/photo`, { token, rawBody: body, headers: { "content-type": type } });

describe("proof-of-shipment photos", () => {
  it("stores an image its owner and ops can read, and nobody else", async () => {
    const { sub, vendor, shopper } = await paidSubOrder();
    expect((await put(vendor, sub, JPEG, "image/jpeg")).status).toBe(204);
    const mine = await api("GET", `/v1/sub-orders/${sub}/photo`, { token: vendor });
    expect(mine.status).toBe(200);
    expect(mine.headers.get("content-type")).toBe("image/jpeg");
    expect((await api("GET", `/v1/sub-orders/${sub}/photo`, { token: await tokenFor("ops") })).status).toBe(200);
    const other = await paidSubOrder();
    expect((await api("GET", `/v1/sub-orders/${sub}/photo`, { token: other.vendor })).status).toBe(404);
    expect((await put(other.vendor, sub, PNG, "image/png")).status).toBe(404);
    expect((await api("GET", `/v1/sub-orders/${sub}/photo`, { token: shopper.token })).status).toBe(403);
    const timeline = (await api("GET", `/v1/sub-orders/${sub}`, { token: ADMIN })).body.timeline.map(
      (e: any) => e.type,
    );
    expect(timeline).toContain("sub_order.photo_added");
  });

  it("refuses the wrong type by its bytes (415) and more than 5 MB (413)", async () => {
    const { sub, vendor } = await paidSubOrder();
    const lying = await put(vendor, sub, new TextEncoder().encode("<svg/>"), "image/png");
    expect(lying.status).toBe(415);
    expect(lying.body.code).toBe("UNSUPPORTED_MEDIA_TYPE");
    expect((await put(vendor, sub, PNG, "image/jpeg")).status).toBe(415);
    expect((await put(vendor, sub, JPEG, "application/pdf")).status).toBe(415);
    const big = new Uint8Array(5 * 1024 * 1024 + 1);
    big.set(JPEG);
    const tooBig = await put(vendor, sub, big, "image/jpeg");
    expect(tooBig.status).toBe(413);
    expect((await api("GET", `/v1/sub-orders/${sub}/photo`, { token: vendor })).status).toBe(404);
  });

  it("may be retaken until the parcel leaves; after dispatch the photo of record stays, as on a cancelled one", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 3 }] });
    const vendor = await tokenFor("vendor", { vendorId: s.vendorId });
    const ops = await tokenFor("ops");
    const sub = await packedSubOrder(s.skuId, vendor);
    const read = async () => {
      const r = await api("GET", `/v1/sub-orders/${sub}/photo`, { token: ops });
      expect(r.status).toBe(200);
      return r.headers.get("content-type");
    };
    expect((await put(vendor, sub, JPEG, "image/jpeg")).status).toBe(204);
    // A retake while packing replaces it.
    expect((await put(vendor, sub, PNG, "image/png")).status).toBe(204);
    expect(await read()).toBe("image/png");
    const dispatched = await api("POST", `/v1/sub-orders/${sub}/dispatch`, {
      token: vendor,
      body: { carrier: "generic", awb: uid("AWB-").toUpperCase() },
    });
    expect(dispatched.status).toBe(200);
    const late = await put(vendor, sub, JPEG, "image/jpeg");
    expect(late.status).toBe(409);
    expect(late.headers.get("content-type")).toContain("application/problem+json");
    expect(await read()).toBe("image/png");
    const added = (await api("GET", `/v1/sub-orders/${sub}`, { token: ADMIN })).body.timeline.filter(
      (e: any) => e.type === "sub_order.photo_added",
    );
    expect(added).toHaveLength(2);

    const { sub: cancelled, vendor: itsVendor } = await paidSubOrder();
    expect(
      (await api("POST", `/v1/sub-orders/${cancelled}/cancel`, { token: itsVendor, body: { reason: "out of stock" } }))
        .status,
    ).toBe(200);
    expect((await put(itsVendor, cancelled, JPEG, "image/jpeg")).status).toBe(409);
  });
});
