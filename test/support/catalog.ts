import { ADMIN, api, tokenFor, uid } from "./api";

/** Catalog fixtures made through the API as an admin; each call makes fresh ids and unique codes. */

export const inr = (amountMinor: number) => ({ amountMinor, currency: "INR" });

function created<T>(what: string, r: { status: number; body: T }): T {
  if (r.status !== 201) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

export async function newVendor(fields: Record<string, unknown> = {}) {
  return created(
    "vendor",
    await api("POST", "/v1/vendors", {
      token: ADMIN,
      body: { name: `Vendor ${uid()}`, commissionBps: 1000, hourlyCapacity: 50, ...fields },
    }),
  );
}

/** A vendor and a token bound to it. */
export async function newVendorWithToken(fields: Record<string, unknown> = {}) {
  const vendor = await newVendor(fields);
  return { vendor, vendorId: vendor.id as string, token: await tokenFor("vendor", { vendorId: vendor.id }) };
}

export async function newWarehouse(vendorId: string, fields: Record<string, unknown> = {}) {
  return created(
    "warehouse",
    await api("POST", `/v1/vendors/${vendorId}/warehouses`, {
      token: ADMIN,
      body: { name: `WH ${uid()}`, lat: 12.9352, lng: 77.6245, postalCode: "560034", country: "IN", ...fields },
    }),
  );
}

export async function newProduct(title = `Product ${uid()}`) {
  return created("product", await api("POST", "/v1/products", { token: ADMIN, body: { title } }));
}

export async function newSku(vendorId: string, productId: string, fields: Record<string, unknown> = {}) {
  const code = uid("SKU-");
  return created(
    "sku",
    await api("POST", "/v1/skus", {
      token: ADMIN,
      body: {
        vendorId,
        productId,
        code,
        title: `Item ${code}`,
        price: inr(49_900),
        barcode: uid("89"),
        lowStockThreshold: 5,
        ...fields,
      },
    }),
  );
}
