import { beforeAll, describe, expect, it } from "vitest";
import { ADMIN, api, newCustomer, tokenFor, uid } from "../support/api";
import { inr, newProduct, newSku, newVendorWithToken, newWarehouse } from "../support/catalog";

// The role matrix of every catalog route. "own" is vendor A acting on vendor A's resources,
// "other" is vendor B acting on them. A refused write must leave everything as it was.

type Who = "admin" | "ops" | "own" | "other" | "customer" | "anonymous";
const everyone: Who[] = ["admin", "ops", "own", "other", "customer", "anonymous"];

let tokens: Record<Who, string | undefined>;
let a: Awaited<ReturnType<typeof newVendorWithToken>>;
let productId: string;
let warehouse: any;
let sku: any;

beforeAll(async () => {
  a = await newVendorWithToken();
  const b = await newVendorWithToken();
  productId = (await newProduct()).id;
  warehouse = await newWarehouse(a.vendorId);
  sku = await newSku(a.vendorId, productId);
  tokens = {
    admin: ADMIN,
    ops: await tokenFor("ops"),
    own: a.token,
    other: b.token,
    customer: (await newCustomer()).token,
    anonymous: undefined,
  };
});

/** Everything a refused write could have touched, read as an admin. */
async function snapshot() {
  const all = async (path: string) => {
    const items: unknown[] = [];
    let cursor: string | null = null;
    do {
      const sep = path.includes("?") ? "&" : "?";
      const r: any = await api("GET", `${path}${sep}limit=200${cursor ? `&cursor=${cursor}` : ""}`, { token: ADMIN });
      expect(r.status).toBe(200);
      items.push(...r.body.items);
      cursor = r.body.nextCursor;
    } while (cursor);
    return items;
  };
  return {
    vendors: await all("/v1/vendors"),
    warehouses: await all(`/v1/vendors/${a.vendorId}/warehouses`),
    products: await all("/v1/products"),
    skus: await all("/v1/skus"),
  };
}

type Case = {
  name: string;
  call: () => { method: string; path: string; body?: unknown };
  expect: Partial<Record<Who, number>>;
};

const cases: Case[] = [
  {
    name: "POST /vendors",
    call: () => ({
      method: "POST",
      path: "/v1/vendors",
      body: { name: uid("v"), commissionBps: 1, hourlyCapacity: 1 },
    }),
    expect: { admin: 201, ops: 403, own: 403, other: 403, customer: 403, anonymous: 401 },
  },
  {
    name: "GET /vendors",
    call: () => ({ method: "GET", path: "/v1/vendors" }),
    expect: { admin: 200, ops: 200, own: 200, other: 200, customer: 403, anonymous: 401 },
  },
  {
    name: "GET /vendors/{id}",
    call: () => ({ method: "GET", path: `/v1/vendors/${a.vendorId}` }),
    expect: { admin: 200, ops: 200, own: 200, other: 404, customer: 403, anonymous: 401 },
  },
  {
    name: "PATCH /vendors/{id} (a field the vendor may change)",
    call: () => ({ method: "PATCH", path: `/v1/vendors/${a.vendorId}`, body: { hourlyCapacity: 7 } }),
    expect: { admin: 200, ops: 403, own: 200, other: 404, customer: 403, anonymous: 401 },
  },
  {
    name: "PATCH /vendors/{id} (commission)",
    call: () => ({ method: "PATCH", path: `/v1/vendors/${a.vendorId}`, body: { commissionBps: 1 } }),
    expect: { ops: 403, own: 403, other: 404, customer: 403, anonymous: 401 },
  },
  {
    name: "PATCH /vendors/{id} (status, payout account)",
    call: () => ({
      method: "PATCH",
      path: `/v1/vendors/${a.vendorId}`,
      body: { status: "suspended", payoutAccountId: "acct_evil" },
    }),
    expect: { ops: 403, own: 403, other: 404, customer: 403, anonymous: 401 },
  },
  {
    name: "POST /vendors/{id}/warehouses",
    call: () => ({
      method: "POST",
      path: `/v1/vendors/${a.vendorId}/warehouses`,
      body: { name: uid("wh"), lat: 1, lng: 1, postalCode: "110001", country: "IN" },
    }),
    expect: { admin: 201, ops: 201, own: 201, other: 404, customer: 403, anonymous: 401 },
  },
  {
    name: "GET /vendors/{id}/warehouses",
    call: () => ({ method: "GET", path: `/v1/vendors/${a.vendorId}/warehouses` }),
    expect: { admin: 200, ops: 200, own: 200, other: 404, customer: 403, anonymous: 401 },
  },
  {
    name: "PATCH /warehouses/{id}",
    call: () => ({ method: "PATCH", path: `/v1/warehouses/${warehouse.id}`, body: { name: uid("renamed") } }),
    expect: { admin: 200, ops: 403, own: 200, other: 404, customer: 403, anonymous: 401 },
  },
  {
    name: "POST /products",
    call: () => ({ method: "POST", path: "/v1/products", body: { title: uid("p") } }),
    expect: { admin: 201, ops: 201, own: 201, other: 201, customer: 403, anonymous: 401 },
  },
  {
    name: "GET /products",
    call: () => ({ method: "GET", path: "/v1/products" }),
    expect: { admin: 200, ops: 200, own: 200, other: 200, customer: 200, anonymous: 200 },
  },
  {
    name: "GET /products/{id}",
    call: () => ({ method: "GET", path: `/v1/products/${productId}` }),
    expect: { admin: 200, ops: 200, own: 200, other: 200, customer: 200, anonymous: 200 },
  },
  {
    name: "POST /skus",
    call: () => ({
      method: "POST",
      path: "/v1/skus",
      body: { vendorId: a.vendorId, productId, code: uid("c"), title: "t", price: inr(100), barcode: uid("b") },
    }),
    expect: { admin: 201, ops: 403, own: 201, other: 404, customer: 403, anonymous: 401 },
  },
  {
    name: "GET /skus",
    call: () => ({ method: "GET", path: `/v1/skus?vendorId=${a.vendorId}` }),
    expect: { admin: 200, ops: 200, own: 200, other: 404, customer: 403, anonymous: 401 },
  },
  {
    name: "GET /skus/{id}",
    call: () => ({ method: "GET", path: `/v1/skus/${sku.id}` }),
    expect: { admin: 200, ops: 200, own: 200, other: 404, customer: 403, anonymous: 401 },
  },
  {
    name: "PATCH /skus/{id}",
    call: () => ({ method: "PATCH", path: `/v1/skus/${sku.id}`, body: { price: inr(777) } }),
    expect: { admin: 200, ops: 403, own: 200, other: 404, customer: 403, anonymous: 401 },
  },
  {
    name: "GET /catalog/skus",
    call: () => ({ method: "GET", path: "/v1/catalog/skus" }),
    expect: { admin: 200, ops: 200, own: 200, other: 200, customer: 200, anonymous: 200 },
  },
];

describe("catalog role matrix", () => {
  for (const c of cases) {
    it(`${c.name}: refused callers get 401/403/404 and change nothing`, async () => {
      const refused = everyone.filter((who) => (c.expect[who] ?? 0) >= 400);
      const before = await snapshot();
      for (const who of refused) {
        const { method, path, body } = c.call();
        const r = await api(method, path, { token: tokens[who], body });
        expect({ who, status: r.status }).toEqual({ who, status: c.expect[who] });
        expect(r.headers.get("content-type")).toContain("application/problem+json");
        expect(r.body.code).toBe({ 401: "UNAUTHENTICATED", 403: "FORBIDDEN", 404: "NOT_FOUND" }[r.status as 401]);
      }
      expect(await snapshot()).toEqual(before);
    });

    const allowed = everyone.filter((who) => c.expect[who] !== undefined && c.expect[who] < 400);
    if (allowed.length > 0) {
      it(`${c.name}: allowed for ${allowed.join(", ")}`, async () => {
        for (const who of allowed) {
          const { method, path, body } = c.call();
          const r = await api(method, path, { token: tokens[who], body });
          expect({ who, status: r.status, body: r.status < 400 ? "ok" : r.body }).toEqual({
            who,
            status: c.expect[who],
            body: "ok",
          });
        }
      });
    }
  }

  it("a vendor's list of vendors and of SKUs holds only its own", async () => {
    const vendors = await api("GET", "/v1/vendors", { token: tokens.other });
    expect(vendors.body.items.map((v: any) => v.id)).not.toContain(a.vendorId);
    const skus = await api("GET", "/v1/skus?limit=200", { token: tokens.other });
    expect(skus.body.items.map((s: any) => s.vendorId)).not.toContain(a.vendorId);
  });

  it("another vendor's id reads exactly like an unknown one", async () => {
    const other = await api("GET", `/v1/skus/${sku.id}`, { token: tokens.other });
    const unknown = await api("GET", `/v1/skus/sku_doesnotexist`, { token: tokens.other });
    expect(other.status).toBe(404);
    expect(other.body.detail).toBe(`No SKU ${sku.id}`);
    expect(unknown.body.detail).toBe("No SKU sku_doesnotexist");
  });

  it("checks the role before the body: a customer's invalid body is 403, an anonymous one 401", async () => {
    const forbidden = await api("POST", "/v1/skus", { token: tokens.customer, body: { nope: true } });
    expect(forbidden.status).toBe(403);
    const anonymous = await api("POST", "/v1/vendors", { body: { nope: true } });
    expect(anonymous.status).toBe(401);
  });

  it("refuses a bad token even on public routes", async () => {
    const r = await api("GET", "/v1/catalog/skus", { token: "oms_not_a_token" });
    expect(r.status).toBe(401);
  });

  it("answers unknown ids 404 for admin", async () => {
    for (const [method, path, body] of [
      ["GET", "/v1/vendors/ven_nope", undefined],
      ["PATCH", "/v1/vendors/ven_nope", { name: "x" }],
      ["GET", "/v1/vendors/ven_nope/warehouses", undefined],
      ["POST", "/v1/vendors/ven_nope/warehouses", { name: "x", lat: 1, lng: 1, postalCode: "1", country: "IN" }],
      ["PATCH", "/v1/warehouses/wh_nope", { name: "x" }],
      ["GET", "/v1/products/prd_nope", undefined],
      ["GET", "/v1/skus/sku_nope", undefined],
      ["PATCH", "/v1/skus/sku_nope", { title: "x" }],
      ["POST", "/v1/skus", { vendorId: "ven_nope", productId, code: "x", title: "x", price: inr(1), barcode: "1" }],
    ] as const) {
      const r = await api(method, path, { token: ADMIN, body });
      expect({ method, path, status: r.status }).toEqual({ method, path, status: 404 });
    }
  });
});
