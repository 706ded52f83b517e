import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { postalCodes } from "../../src/http/routes/postal-codes";
import { ADMIN, api, tokenFor, uid } from "../support/api";
import { inr, newProduct, newSku, newVendor, newVendorWithToken, newWarehouse } from "../support/catalog";

const ISO_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

async function mirror(skuId: string, warehouseId: string, available: number) {
  await env.DB.prepare(
    "insert into stock_levels (sku_id, warehouse_id, on_hand, available, held, committed, version, updated_at) values (?, ?, ?, ?, 0, 0, 1, '2026-11-22T09:00:00Z')",
  )
    .bind(skuId, warehouseId, available, available)
    .run();
}

describe("vendors", () => {
  it("creates a vendor with defaults and reads it back", async () => {
    const r = await api("POST", "/v1/vendors", {
      token: ADMIN,
      body: { name: "  Chai Point  ", commissionBps: 1250, hourlyCapacity: 40 },
    });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({
      id: expect.stringMatching(/^ven_/),
      name: "Chai Point",
      status: "active",
      dispatchSlaHours: 18,
      nudgeLeadHours: 6,
      nudgeLeadMinutes: 360,
      commissionBps: 1250,
      hourlyCapacity: 40,
      payoutAccountId: null,
      contactPhone: null,
      contactEmail: null,
      createdAt: expect.stringMatching(ISO_SECONDS),
      onboarding: "approved",
    });
    const read = await api("GET", `/v1/vendors/${r.body.id}`, { token: ADMIN });
    expect(read.status).toBe(200);
    expect(read.body).toEqual(r.body);
  });

  it("defaults the nudge below a short SLA and keeps it below the SLA on change", async () => {
    const v = await newVendor({ dispatchSlaHours: 4, payoutAccountId: "acct_1Demo" });
    expect(v.nudgeLeadHours).toBe(3);
    expect(v.payoutAccountId).toBe("acct_1Demo");
    const tooLate = await api("PATCH", `/v1/vendors/${v.id}`, { token: ADMIN, body: { nudgeLeadHours: 4 } });
    expect(tooLate.status).toBe(422);
    expect(tooLate.body.errors[0].path).toBe("nudgeLeadHours");
    const shorter = await api("PATCH", `/v1/vendors/${v.id}`, { token: ADMIN, body: { dispatchSlaHours: 3 } });
    expect(shorter.status).toBe(422);
    expect(shorter.body.errors[0].path).toBe("dispatchSlaHours");
    expect((await api("GET", `/v1/vendors/${v.id}`, { token: ADMIN })).body).toEqual(v);
  });

  it("lets an admin change every field and the vendor only its own operational ones", async () => {
    const { vendorId, token } = await newVendorWithToken();
    const admin = await api("PATCH", `/v1/vendors/${vendorId}`, {
      token: ADMIN,
      body: { status: "suspended", commissionBps: 800, dispatchSlaHours: 24, payoutAccountId: "acct_9" },
    });
    expect(admin.status).toBe(200);
    expect(admin.body).toMatchObject({ status: "suspended", commissionBps: 800, dispatchSlaHours: 24 });
    const own = await api("PATCH", `/v1/vendors/${vendorId}`, {
      token,
      body: {
        name: "Renamed",
        hourlyCapacity: 12,
        nudgeLeadHours: 2,
        contactPhone: "+91 98450 30001",
        contactEmail: "floor@renamed.example.com",
      },
    });
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({
      name: "Renamed",
      hourlyCapacity: 12,
      nudgeLeadHours: 2,
      contactPhone: "+91 98450 30001",
      contactEmail: "floor@renamed.example.com",
      payoutAccountId: "acct_9",
    });
    const noPhone = await api("PATCH", `/v1/vendors/${vendorId}`, { token, body: { contactPhone: null } });
    expect(noPhone.body).toMatchObject({ contactPhone: null, contactEmail: "floor@renamed.example.com" });
    const cleared = await api("PATCH", `/v1/vendors/${vendorId}`, { token: ADMIN, body: { payoutAccountId: null } });
    expect(cleared.body.payoutAccountId).toBeNull();
  });

  it("lists vendors: all for admin and ops, only itself for a vendor", async () => {
    const a = await newVendorWithToken();
    const b = await newVendor();
    const ops = await tokenFor("ops");
    for (const token of [ADMIN, ops]) {
      const ids: string[] = [];
      let cursor: string | null = null;
      do {
        const r: any = await api("GET", `/v1/vendors?limit=200${cursor ? `&cursor=${cursor}` : ""}`, { token });
        expect(r.status).toBe(200);
        ids.push(...r.body.items.map((v: any) => v.id));
        cursor = r.body.nextCursor;
      } while (cursor);
      expect(ids).toEqual(expect.arrayContaining([a.vendorId, b.id]));
    }
    const own = await api("GET", "/v1/vendors", { token: a.token });
    expect(own.status).toBe(200);
    expect(own.body).toEqual({ items: [a.vendor], nextCursor: null });
  });
});

describe("warehouses", () => {
  it("creates warehouses, resolving coordinates from the postal-code table when none are given", async () => {
    const { vendorId, token } = await newVendorWithToken();
    const withCoords = await api("POST", `/v1/vendors/${vendorId}/warehouses`, {
      token,
      body: { name: "Koramangala DC", lat: 12.9352, lng: 77.6245, postalCode: " 560034 ", country: "IN" },
    });
    expect(withCoords.status).toBe(201);
    expect(withCoords.body).toEqual({
      id: expect.stringMatching(/^wh_/),
      vendorId,
      name: "Koramangala DC",
      lat: 12.9352,
      lng: 77.6245,
      postalCode: "560034",
      country: "IN",
      status: "active",
      createdAt: expect.stringMatching(ISO_SECONDS),
    });

    const code = `9${Math.floor(Math.random() * 1e5)}`.padEnd(6, "0");
    await env.DB.prepare(
      "insert or replace into postal_codes (country, code, lat, lng, place) values ('IN', ?, 19.1176, 72.906, 'Powai')",
    )
      .bind(code)
      .run();
    const looked = await api("POST", `/v1/vendors/${vendorId}/warehouses`, {
      token: ADMIN,
      body: { name: "Powai", postalCode: code, country: "IN" },
    });
    expect(looked.status).toBe(201);
    expect(looked.body).toMatchObject({ lat: 19.1176, lng: 72.906, postalCode: code });

    const unknown = await api("POST", `/v1/vendors/${vendorId}/warehouses`, {
      token: ADMIN,
      body: { name: "Nowhere", postalCode: "ZZ 999", country: "IN" },
    });
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors[0].path).toBe("postalCode");

    const list = await api("GET", `/v1/vendors/${vendorId}/warehouses`, { token });
    expect(list.status).toBe(200);
    expect(list.body.items.map((w: any) => w.name)).toEqual(["Koramangala DC", "Powai"]);
    expect(list.body.nextCursor).toBeNull();
  });

  it("patches a warehouse's name, coordinates and status", async () => {
    const { vendorId, token } = await newVendorWithToken();
    const wh = await newWarehouse(vendorId);
    const r = await api("PATCH", `/v1/warehouses/${wh.id}`, {
      token,
      body: { name: "Renamed", lat: 28.6315, lng: 77.2167, postalCode: "110001", status: "inactive" },
    });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      ...wh,
      name: "Renamed",
      lat: 28.6315,
      lng: 77.2167,
      postalCode: "110001",
      status: "inactive",
    });
    const same = await api("PATCH", `/v1/warehouses/${wh.id}`, {
      token,
      body: { postalCode: "110001", country: "IN" },
    });
    expect(same.body).toEqual(r.body);
    const moved = await api("PATCH", `/v1/warehouses/${wh.id}`, { token: ADMIN, body: { postalCode: "ZZ 404" } });
    expect(moved.status).toBe(422);
    expect(moved.body.errors[0]).toEqual({ path: "postalCode", message: expect.stringMatching(/give lat and lng/) });
    const half = await api("PATCH", `/v1/warehouses/${wh.id}`, { token, body: { lat: 1 } });
    expect(half.status).toBe(422);
    expect(half.body.errors[0].path).toBe("lng");
  });
});

describe("products", () => {
  it("creates products (admin, ops, vendor) and finds them by search, publicly", async () => {
    const tag = uid("zq");
    const ops = await tokenFor("ops");
    const { token: vendor } = await newVendorWithToken();
    const made = [];
    for (const [token, title] of [
      [ADMIN, `Masala Chai ${tag}`],
      [ops, `Filter Coffee ${tag}`],
      [vendor, `masala dosa mix ${tag}`],
    ] as const) {
      const r = await api("POST", "/v1/products", { token, body: { title, description: "Tasty" } });
      expect(r.status).toBe(201);
      expect(r.body).toEqual({
        id: expect.stringMatching(/^prd_/),
        title,
        description: "Tasty",
        createdAt: expect.stringMatching(ISO_SECONDS),
      });
      made.push(r.body);
    }
    // Vendors see every product (to offer one); the public only those on sale (below).
    const all = await api("GET", `/v1/products?search=${tag}`, { token: vendor });
    expect(all.status).toBe(200);
    expect(all.body.items.map((p: any) => p.title)).toEqual([
      `Filter Coffee ${tag}`,
      `Masala Chai ${tag}`,
      `masala dosa mix ${tag}`,
    ]);
    const masala = await api("GET", `/v1/products?search=${encodeURIComponent(`MASALA`)}&limit=200`, { token: vendor });
    const titles = masala.body.items.map((p: any) => p.title);
    expect(titles).toEqual(expect.arrayContaining([`Masala Chai ${tag}`, `masala dosa mix ${tag}`]));
    expect(titles).not.toContain(`Filter Coffee ${tag}`);
    const one = await api("GET", `/v1/products/${made[0].id}`, { token: vendor });
    expect(one.body).toEqual(made[0]);
  });

  it("shows the public only products a selling vendor offers: none a vendor still onboarding made", async () => {
    const tag = uid("pub");
    const seller = await newVendorWithToken();
    const onSale = await newProduct(`${tag} on sale`);
    await newSku(seller.vendorId, onSale.id);
    await newProduct(`${tag} nobody offers`);
    // A vendor still onboarding makes a product and its offer (the wizard's first products).
    const draft = await newVendorWithToken();
    await env.DB.prepare("update vendors set onboarding = 'draft' where id = ?").bind(draft.vendorId).run();
    const drafted = await api("POST", "/v1/products", { token: draft.token, body: { title: `${tag} drafted` } });
    expect(drafted.status).toBe(201);
    await newSku(draft.vendorId, drafted.body.id);
    const suspended = await newVendorWithToken();
    const paused = await newProduct(`${tag} suspended seller`);
    await newSku(suspended.vendorId, paused.id);
    await env.DB.prepare("update vendors set status = 'suspended' where id = ?").bind(suspended.vendorId).run();

    const titles = async (token?: string) =>
      (await api("GET", `/v1/products?search=${tag}`, { token })).body.items.map((p: { title: string }) => p.title);
    const shopper = (await api("POST", "/v1/customers", { body: { name: "Browsing" } })).body.token as string;
    expect(await titles()).toEqual([`${tag} on sale`]);
    expect(await titles(shopper)).toEqual([`${tag} on sale`]);
    expect(await titles(seller.token)).toHaveLength(4);
    expect(await titles(ADMIN)).toHaveLength(4);
    expect((await api("GET", `/v1/products/${drafted.body.id}`)).status).toBe(404);
    expect((await api("GET", `/v1/products/${drafted.body.id}`, { token: draft.token })).status).toBe(200);
    expect((await api("GET", `/v1/products/${onSale.id}`)).status).toBe(200);
  });

  it("takes LIKE wildcards in a search literally", async () => {
    const tag = uid("w");
    await newProduct(`100% cotton ${tag}`);
    await newProduct(`1000 cotton ${tag}`);
    const r = await api("GET", `/v1/products?search=${encodeURIComponent(`0% cotton ${tag}`)}`, { token: ADMIN });
    expect(r.body.items.map((p: any) => p.title)).toEqual([`100% cotton ${tag}`]);
    const under = await api("GET", `/v1/products?search=${encodeURIComponent(`_000 cotton ${tag}`)}`, { token: ADMIN });
    expect(under.body.items).toEqual([]);
  });
});

describe("skus", () => {
  it("creates a SKU for the vendor itself and reads it", async () => {
    const { vendorId, token } = await newVendorWithToken();
    const product = await newProduct();
    const r = await api("POST", "/v1/skus", {
      token,
      body: {
        vendorId,
        productId: product.id,
        code: "TEE-BLK-M",
        title: "Black tee, M",
        price: inr(59_900),
        barcode: "8901234567890",
        lowStockThreshold: 3,
      },
    });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({
      id: expect.stringMatching(/^sku_/),
      vendorId,
      productId: product.id,
      code: "TEE-BLK-M",
      title: "Black tee, M",
      price: { amountMinor: 59_900, currency: "INR" },
      barcode: "8901234567890",
      lowStockThreshold: 3,
      weightGrams: 500,
      saleMaxUnitsPerCustomer: null,
      status: "active",
      createdAt: expect.stringMatching(ISO_SECONDS),
      updatedAt: expect.stringMatching(ISO_SECONDS),
    });
    for (const t of [token, ADMIN, await tokenFor("ops")]) {
      const read = await api("GET", `/v1/skus/${r.body.id}`, { token: t });
      expect(read.status).toBe(200);
      expect(read.body).toEqual(r.body);
    }
  });

  it("refuses a duplicate code or barcode within a vendor with 409, but not across vendors", async () => {
    const a = await newVendor();
    const b = await newVendor();
    const product = await newProduct();
    const first = await newSku(a.id, product.id, { code: "DUP-1", barcode: "111" });
    const code = await api("POST", "/v1/skus", {
      token: ADMIN,
      body: { vendorId: a.id, productId: product.id, code: "DUP-1", title: "x", price: inr(1), barcode: "222" },
    });
    expect(code.status).toBe(409);
    expect(code.body.code).toBe("CONFLICT");
    expect(code.body.detail).toMatch(/code/);
    expect(code.body.errors).toEqual([{ path: "code", message: expect.any(String) }]);
    const barcode = await api("POST", "/v1/skus", {
      token: ADMIN,
      body: { vendorId: a.id, productId: product.id, code: "DUP-2", title: "x", price: inr(1), barcode: "111" },
    });
    expect(barcode.status).toBe(409);
    expect(barcode.body.detail).toMatch(/barcode/);
    const other = await newSku(b.id, product.id, { code: "DUP-1", barcode: "111" });
    expect(other.vendorId).toBe(b.id);
    const second = await newSku(a.id, product.id, { code: "DUP-3", barcode: "333" });
    const patch = await api("PATCH", `/v1/skus/${second.id}`, { token: ADMIN, body: { barcode: "111" } });
    expect(patch.status).toBe(409);
    expect(patch.body.errors[0].path).toBe("barcode");
    expect((await api("GET", `/v1/skus/${second.id}`, { token: ADMIN })).body).toEqual(second);
    expect((await api("GET", `/v1/skus/${first.id}`, { token: ADMIN })).body).toEqual(first);
  });

  it("patches price, title, barcode, threshold and status", async () => {
    const { vendorId, token } = await newVendorWithToken();
    const sku = await newSku(vendorId, (await newProduct()).id);
    const r = await api("PATCH", `/v1/skus/${sku.id}`, {
      token,
      body: { price: inr(12_345), title: "New title", barcode: "ABC-123", lowStockThreshold: 0, status: "inactive" },
    });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      ...sku,
      price: inr(12_345),
      title: "New title",
      barcode: "ABC-123",
      lowStockThreshold: 0,
      status: "inactive",
      updatedAt: expect.stringMatching(ISO_SECONDS),
    });
  });

  it("lists SKUs: a vendor only its own, admin any vendor's including inactive ones", async () => {
    const a = await newVendorWithToken();
    const b = await newVendorWithToken();
    const product = await newProduct();
    const mine = await newSku(a.vendorId, product.id);
    await api("PATCH", `/v1/skus/${mine.id}`, { token: ADMIN, body: { status: "inactive" } });
    const theirs = await newSku(b.vendorId, product.id);
    const own = await api("GET", `/v1/skus?productId=${product.id}`, { token: a.token });
    expect(own.status).toBe(200);
    expect(own.body.items.map((s: any) => s.id)).toEqual([mine.id]);
    expect(own.body.items[0].status).toBe("inactive");
    const other = await api("GET", `/v1/skus?vendorId=${b.vendorId}`, { token: a.token });
    expect(other.status).toBe(404);
    const admin = await api("GET", `/v1/skus?productId=${product.id}&status=active`, { token: ADMIN });
    expect(admin.body.items.map((s: any) => s.id)).toEqual([theirs.id]);
  });
});

describe("catalog", () => {
  it("shows active SKUs of active vendors with available summed over active warehouses", async () => {
    const tag = uid("cat");
    const product = await newProduct(`Catalog ${tag}`);
    const v = await newVendor();
    const suspended = await newVendor();
    const w1 = await newWarehouse(v.id);
    const w2 = await newWarehouse(v.id);
    const w3 = await newWarehouse(v.id);
    await api("PATCH", `/v1/warehouses/${w3.id}`, { token: ADMIN, body: { status: "inactive" } });
    const stocked = await newSku(v.id, product.id, { title: `A stocked ${tag}`, price: inr(25_000) });
    const empty = await newSku(v.id, product.id, { title: `B empty ${tag}` });
    const inactive = await newSku(v.id, product.id, { title: `C inactive ${tag}` });
    await api("PATCH", `/v1/skus/${inactive.id}`, { token: ADMIN, body: { status: "inactive" } });
    await newSku(suspended.id, product.id, { title: `D suspended ${tag}` });
    await api("PATCH", `/v1/vendors/${suspended.id}`, { token: ADMIN, body: { status: "suspended" } });
    await mirror(stocked.id, w1.id, 7);
    await mirror(stocked.id, w2.id, 5);
    await mirror(stocked.id, w3.id, 100);

    const r = await api("GET", `/v1/catalog/skus?search=${tag}`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      items: [
        {
          skuId: stocked.id,
          vendorId: v.id,
          vendorName: v.name,
          productId: product.id,
          title: `A stocked ${tag}`,
          price: inr(25_000),
          barcode: stocked.barcode,
          available: 12,
        },
        expect.objectContaining({ skuId: empty.id, available: 0 }),
      ],
      nextCursor: null,
    });
    const byProduct = await api("GET", `/v1/catalog/skus?productId=${product.id}&vendorId=&search=`);
    expect(byProduct.body.items.map((i: any) => i.skuId)).toEqual([stocked.id, empty.id]);
    const byProductTitle = await api("GET", `/v1/catalog/skus?search=${encodeURIComponent(`catalog ${tag}`)}`);
    expect(byProductTitle.body.items.map((i: any) => i.skuId)).toEqual([stocked.id, empty.id]);
    const byCode = await api("GET", `/v1/catalog/skus?search=${stocked.code}`);
    expect(byCode.body.items.map((i: any) => i.skuId)).toEqual([stocked.id]);
    const byBarcode = await api("GET", `/v1/catalog/skus?search=${stocked.barcode}`);
    expect(byBarcode.body.items.map((i: any) => i.skuId)).toEqual([stocked.id]);
    const byVendor = await api("GET", `/v1/catalog/skus?vendorId=${suspended.id}`);
    expect(byVendor.body).toEqual({ items: [], nextCursor: null });
  });
});

describe("OpenAPI", () => {
  it("documents every catalog route with its roles", async () => {
    const doc = await api("GET", "/v1/openapi.json");
    expect(doc.status).toBe(200);
    const roles = (path: string, method: string) => doc.body.paths[path]?.[method]?.["x-roles"];
    expect(roles("/vendors", "post")).toEqual(["admin"]);
    expect(roles("/vendors/{vendorId}", "patch")).toEqual(["admin", "vendor"]);
    expect(roles("/vendors/{vendorId}/warehouses", "post")).toEqual(["admin", "ops", "vendor"]);
    expect(roles("/warehouses/{warehouseId}", "patch")).toEqual(["admin", "vendor"]);
    expect(roles("/products", "get")).toEqual(["public"]);
    expect(roles("/skus", "post")).toEqual(["admin", "vendor"]);
    // Ops set only a flash-sale cap there (test/http/front-door.test.ts).
    expect(roles("/skus/{skuId}", "patch")).toEqual(["admin", "ops", "vendor"]);
    expect(roles("/catalog/skus", "get")).toEqual(["public"]);
    expect(doc.body.paths["/vendors/{vendorId}"].patch.description).toMatch(/payoutAccountId/);
  });

  it("documents the postal-code routes", () => {
    const doc = postalCodes.getOpenAPI31Document({ openapi: "3.1.0", info: { title: "t", version: "1" } });
    expect(doc.paths?.["/admin/postal-codes"]?.post?.requestBody).toMatchObject({ content: { "text/csv": {} } });
    expect(doc.paths?.["/postal-codes/{country}/{code}"]?.get).toBeDefined();
  });
});
