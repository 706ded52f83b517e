import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { SubOrderWork } from "../../web/src/pages/vendor/SubOrderWork";
import type { Carrier, SubOrderDetail } from "../../web/src/types";

const carriers = [
  { code: "delhivery", name: "Delhivery", awbPattern: "\\d{13}", awbExample: "1234567890123", active: true },
] as unknown as Carrier[];

/** The vendor's parcel screen for a sub-order in `status`, as static markup. */
function screen(status: SubOrderDetail["status"]): string {
  const sub = {
    id: "sub_photo_1",
    orderId: "ord_photo_1",
    vendorId: "ven_photo_1",
    status,
    slaDispatchBy: null,
    carrier: status === "dispatched" ? "delhivery" : null,
    awb: status === "dispatched" ? "1234567890123" : null,
    cancellationReason: null,
    shipTo: null,
    total: { amountMinor: 49900, currency: "INR" },
    lines: [],
    timeline: [],
    creditNotes: [],
  } as unknown as SubOrderDetail;
  return renderToStaticMarkup(createElement(SubOrderWork, { token: "t", sub, carriers, changed: () => {} }));
}

describe("the vendor's proof-of-shipment photo", () => {
  it("is offered only while the API takes it (paid, confirmed, packed), and above the dispatch form", () => {
    for (const status of ["paid", "confirmed", "packed"] as const) {
      expect(screen(status), status).toContain("Proof-of-shipment photo");
    }
    // src/db/photos.ts PHOTO_STATUSES: a photo after dispatch is 409, so the screen does not ask for one.
    for (const status of ["dispatched", "delivered", "cancelled"] as const) {
      expect(screen(status), status).not.toContain("Proof-of-shipment photo");
    }
    // Staff work down the screen: the photo comes before the button that makes it too late.
    const packed = screen("packed");
    expect(packed).toContain(">Dispatch<");
    expect(packed.indexOf("Proof-of-shipment photo")).toBeLessThan(packed.indexOf(">Dispatch<"));
  });
});
