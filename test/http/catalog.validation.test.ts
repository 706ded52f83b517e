import { beforeAll, describe, expect, it } from "vitest";
import { ADMIN, api, uid } from "../support/api";
import { inr, newProduct, newSku, newVendorWithToken, newWarehouse } from "../support/catalog";

// Every refusal is a 422 problem with field errors, and nothing is written.

let vendorId: string;
let vendorToken: string;
let productId: string;

beforeAll(async () => {
  ({ vendorId, token: vendorToken } = await newVendorWithToken());
  productId = (await newProduct()).id;
});

function skuBody(fields: Record<string, unknown> = {}) {
  return { vendorId, productId, code: "V-1", title: "Valid", price: inr(100), barcode: "4006381333931", ...fields };
}

async function skuCount() {
  return (await api("GET", `/v1/skus?vendorId=${vendorId}&limit=200`, { token: ADMIN })).body.items.length;
}

function paths(r: { body: any }): string[] {
  return r.body.errors.map((e: { path: string }) => e.path);
}

describe("catalog validation", () => {
  it("refuses bad SKU bodies with field errors and writes nothing", async () => {
    const before = await skuCount();
    const bad: [Record<string, unknown>, string][] = [
      [skuBody({ price: { amountMinor: 100, currency: "USD" } }), "price.currency"],
      [skuBody({ price: { amountMinor: -1, currency: "INR" } }), "price.amountMinor"],
      [skuBody({ price: { amountMinor: 10.5, currency: "INR" } }), "price.amountMinor"],
      [skuBody({ price: { amountMinor: "100", currency: "INR" } }), "price.amountMinor"],
      [skuBody({ price: { amountMinor: 100, currency: "inr" } }), "price.currency"],
      [skuBody({ price: 100 }), "price"],
      [skuBody({ lowStockThreshold: -1 }), "lowStockThreshold"],
      [skuBody({ code: "" }), "code"],
      [skuBody({ code: 42 }), "code"],
      [skuBody({ title: "   " }), "title"],
      [skuBody({ barcode: "has space" }), "barcode"],
      [skuBody({ colour: "red" }), "(root)"],
      [skuBody({ productId: "prd_missing" }), "productId"],
      [{ ...skuBody(), vendorId: undefined }, "vendorId"],
    ];
    for (const [body, path] of bad) {
      const r = await api("POST", "/v1/skus", { token: vendorToken, body });
      expect({ path, status: r.status, code: r.body.code }).toEqual({ path, status: 422, code: "VALIDATION_FAILED" });
      expect(r.headers.get("content-type")).toContain("application/problem+json");
      expect(paths(r)).toContain(path);
    }
    expect(await skuCount()).toBe(before);
  });

  it("names the unknown field", async () => {
    const r = await api("POST", "/v1/skus", { token: ADMIN, body: skuBody({ colour: "red" }) });
    expect(r.body.errors[0].message).toMatch(/colour/);
  });

  it("refuses a price in another currency on PATCH and keeps the SKU as it was", async () => {
    const sku = await newSku(vendorId, productId);
    for (const body of [
      { price: { amountMinor: 100, currency: "EUR" } },
      { price: { amountMinor: -5, currency: "INR" } },
      { status: "deleted" },
      { code: "NEW" },
      { vendorId: "ven_other" },
      { lowStockThreshold: 1.5 },
    ]) {
      const r = await api("PATCH", `/v1/skus/${sku.id}`, { token: vendorToken, body });
      expect({ body, status: r.status }).toEqual({ body, status: 422 });
    }
    expect((await api("GET", `/v1/skus/${sku.id}`, { token: ADMIN })).body).toEqual(sku);
  });

  it("refuses malformed JSON and non-JSON bodies", async () => {
    const before = await skuCount();
    const malformed = await api("POST", "/v1/skus", {
      token: ADMIN,
      rawBody: '{"vendorId": ',
      headers: { "content-type": "application/json" },
    });
    expect(malformed.status).toBe(422);
    expect(malformed.body.code).toBe("VALIDATION_FAILED");
    const array = await api("POST", "/v1/skus", { token: ADMIN, body: [skuBody()] });
    expect(array.status).toBe(422);
    const form = await api("POST", "/v1/vendors", {
      token: ADMIN,
      rawBody: "name=x",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(form.status).toBe(415);
    expect(await skuCount()).toBe(before);
  });

  it("refuses bad vendor bodies", async () => {
    const ok = { name: "V", commissionBps: 100, hourlyCapacity: 1 };
    const bad: [Record<string, unknown>, string][] = [
      [{ ...ok, commissionBps: 10_001 }, "commissionBps"],
      [{ ...ok, commissionBps: -1 }, "commissionBps"],
      [{ ...ok, hourlyCapacity: -1 }, "hourlyCapacity"],
      [{ ...ok, dispatchSlaHours: 0 }, "dispatchSlaHours"],
      [{ ...ok, dispatchSlaHours: 721 }, "dispatchSlaHours"],
      [{ ...ok, dispatchSlaHours: 10, nudgeLeadHours: 10 }, "nudgeLeadHours"],
      [{ ...ok, nudgeLeadHours: 18 }, "nudgeLeadHours"],
      [{ ...ok, name: "" }, "name"],
      [{ ...ok, payoutAccountId: "acct with spaces" }, "payoutAccountId"],
      [{ ...ok, contactPhone: "call me" }, "contactPhone"],
      [{ ...ok, contactEmail: "not-an-address" }, "contactEmail"],
      [{ ...ok, status: "active" }, "(root)"],
      [{ name: "V" }, "commissionBps"],
    ];
    for (const [body, path] of bad) {
      const r = await api("POST", "/v1/vendors", { token: ADMIN, body });
      expect({ path, status: r.status }).toEqual({ path, status: 422 });
      expect(paths(r)).toContain(path);
    }
    const patch = await api("PATCH", `/v1/vendors/${vendorId}`, { token: ADMIN, body: { status: "closed" } });
    expect(patch.status).toBe(422);
  });

  it("refuses bad warehouse bodies", async () => {
    const ok = { name: "W", lat: 12.9, lng: 77.6, postalCode: "560034", country: "IN" };
    const bad: [Record<string, unknown>, string][] = [
      [{ ...ok, lat: 91 }, "lat"],
      [{ ...ok, lng: -181 }, "lng"],
      [{ ...ok, lat: "12.9" }, "lat"],
      [{ ...ok, lng: undefined }, "lng"],
      [{ ...ok, country: "India" }, "country"],
      [{ ...ok, country: "in" }, "country"],
      [{ ...ok, postalCode: "56/0034" }, "postalCode"],
      [{ ...ok, dock: 3 }, "(root)"],
    ];
    for (const [body, path] of bad) {
      const r = await api("POST", `/v1/vendors/${vendorId}/warehouses`, { token: vendorToken, body });
      expect({ path, status: r.status }).toEqual({ path, status: 422 });
      expect(paths(r)).toContain(path);
    }
    const wh = await newWarehouse(vendorId);
    const patch = await api("PATCH", `/v1/warehouses/${wh.id}`, { token: vendorToken, body: { status: "closed" } });
    expect(patch.status).toBe(422);
    const list = await api("GET", `/v1/vendors/${vendorId}/warehouses`, { token: ADMIN });
    expect(list.body.items).toEqual([wh]);
  });

  it("refuses bad product bodies and bad list queries", async () => {
    for (const body of [{}, { title: "" }, { title: 5 }, { title: "ok", price: 1 }]) {
      const r = await api("POST", "/v1/products", { token: ADMIN, body });
      expect({ body, status: r.status }).toEqual({ body, status: 422 });
    }
    for (const path of [
      "/v1/products?limit=0",
      "/v1/products?limit=201",
      "/v1/products?limit=ten",
      "/v1/catalog/skus?cursor=not-a-cursor",
      "/v1/catalog/skus?limit=-1",
    ]) {
      const r = await api("GET", path);
      expect({ path, status: r.status }).toEqual({ path, status: 422 });
      expect(r.body.errors[0].path).toMatch(/limit|cursor/);
    }
  });

  it("refuses text that is not well-formed Unicode, keeps a surrogate pair as sent", async () => {
    const marker = `Tea ${uid()}`;
    const titles = async () =>
      (await api("GET", "/v1/products?limit=200", { token: ADMIN })).body.items
        .map((p: { title: string }) => p.title)
        .filter((t: string) => t.startsWith(marker));
    // JSON's escapes carry a lone surrogate; JSON.stringify writes one as `\ud800`.
    for (const title of [`${marker} \ud800 green`, `${marker} \udfff`, `${marker} \udf75\ud83c`]) {
      const r = await api("POST", "/v1/products", { token: ADMIN, body: { title } });
      expect({ status: r.status, code: r.body.code, paths: paths(r) }).toEqual({
        status: 422,
        code: "VALIDATION_FAILED",
        paths: ["title"],
      });
    }
    const renamed = await api("PATCH", `/v1/vendors/${vendorId}`, {
      token: vendorToken,
      body: { name: "Chai \ud800 House" },
    });
    expect({ status: renamed.status, paths: paths(renamed) }).toEqual({ status: 422, paths: ["name"] });
    expect(await titles()).toEqual([]);

    const made = await api("POST", "/v1/products", { token: ADMIN, body: { title: `${marker} \ud83c\udf75 green` } });
    expect(made.status).toBe(201);
    expect((await api("GET", `/v1/products/${made.body.id}`, { token: ADMIN })).body.title).toBe(`${marker} 🍵 green`);
  });
});
