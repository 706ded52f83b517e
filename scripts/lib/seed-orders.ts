// Demo orders with money behind them: a few checked out, paid through the payment simulator and
// delivered (one partly returned), so the vendor app's earnings and the ops dashboard's money show
// figures from the first start. Each step goes through the API as a shopper, vendor or ops would.
import type { Api } from "./api.ts";

const SHIP_TO = {
  name: "Asha Verma",
  phone: "+91 98765 43210",
  address: { line1: "12 MG Road", city: "Bengaluru", postalCode: "560001", country: "IN" },
  lat: 12.9716,
  lng: 77.5946,
};

type Line = { id: string; qty: number; barcode: string };

/**
 * One delivered order of two units of each of a vendor's first `perVendor` SKUs, for each vendor;
 * the first vendor's first order takes one unit back. Needs the payment simulator (a development
 * server without Stripe keys): elsewhere its first payment fails and the caller says so.
 */
export async function seedDeliveredOrders(admin: Api, vendorIds: string[], perVendor: number): Promise<number> {
  let delivered = 0;
  for (const [vi, vendorId] of vendorIds.entries()) {
    const vendor = await admin.request<{ token: string }>("POST", "/v1/tokens", { body: { role: "vendor", vendorId } });
    const skus = await admin.request<{ items: { id: string }[] }>(
      "GET",
      `/v1/skus?vendorId=${vendorId}&limit=${perVendor}`,
    );
    for (const [i, sku] of skus.items.entries()) {
      const sub = await paidSubOrder(admin, sku.id, `demo-${vendorId}-${i}`);
      // Delhivery's 13-digit form: the time keeps AWBs apart across runs, the indexes within one.
      await deliver(admin, vendor.token, sub, `${Date.now()}${vi}${i}`.slice(-13));
      if (vi === 0 && i === 0) await returnOne(admin, vendor.token, sub);
      delivered += 1;
    }
  }
  return delivered;
}

async function paidSubOrder(admin: Api, skuId: string, key: string): Promise<string> {
  const shopper = await admin.request<{ token: string }>("POST", "/v1/customers", {
    token: "",
    body: { name: "Demo Shopper", email: "demo.shopper@example.in" },
  });
  const placed = await admin.request<{ order: { subOrders: { id: string }[] }; payment: { id: string } }>(
    "POST",
    "/v1/checkout",
    {
      token: shopper.token,
      body: { lines: [{ skuId, qty: 2 }], shipTo: SHIP_TO },
      headers: { "Idempotency-Key": key },
    },
  );
  await admin.request("POST", `/v1/payments/${placed.payment.id}/simulate`, {
    token: shopper.token,
    body: { outcome: "succeeded" },
  });
  return placed.order.subOrders[0]!.id;
}

async function deliver(admin: Api, vendorToken: string, subOrderId: string, awb: string) {
  const step = (name: string, body?: unknown) =>
    admin.request("POST", `/v1/sub-orders/${subOrderId}/${name}`, { token: vendorToken, body });
  await step("confirm");
  const sub = await admin.request<{ lines: Line[] }>("GET", `/v1/sub-orders/${subOrderId}`, { token: vendorToken });
  await step("pack", { scanned: sub.lines.flatMap((l) => Array.from({ length: l.qty }, () => l.barcode)) });
  await step("dispatch", { carrier: "delhivery", awb });
  await step("deliver");
}

async function returnOne(admin: Api, vendorToken: string, subOrderId: string) {
  const sub = await admin.request<{ lines: Line[] }>("GET", `/v1/sub-orders/${subOrderId}`, { token: vendorToken });
  await admin.request("POST", `/v1/sub-orders/${subOrderId}/return`, {
    token: vendorToken,
    body: { lines: [{ lineId: sub.lines[0]!.id, qty: 1, restockable: true }], reason: "changed_mind" },
    headers: { "Idempotency-Key": `demo-return-${subOrderId}` },
  });
}
