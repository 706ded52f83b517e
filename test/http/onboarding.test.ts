import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, api, newCustomer, tokenFor, uid } from "../support/api";
import { inr, newProduct, newSku, newVendorWithToken, newWarehouse } from "../support/catalog";
import { BENGALURU, checkout } from "../support/marketplace";

const secretOf = (link: string) => new URL(link).hash.replace(/^#(invite|sign-in)=/, "");

async function invited(email = `${uid("v")}@shop.example`, businessName?: string) {
  const ops = await tokenFor("ops");
  const r = await api("POST", "/v1/onboarding/invites", { token: ops, body: { email, businessName } });
  expect(r.status).toBe(201);
  return { ...r.body, secret: secretOf(r.body.link) } as { id: string; email: string; link: string; secret: string };
}

/** A vendor onboarded by invite, signed in: its session token and id. */
async function onboarded(businessName = `Shop ${uid()}`) {
  const inv = await invited(undefined, businessName);
  const r = await api("POST", "/v1/onboarding/invites/accept", { body: { token: inv.secret } });
  expect(r.status).toBe(201);
  return { vendorId: r.body.vendorId as string, token: r.body.token as string, email: inv.email };
}

const step = (token: string, vendorId: string, body: unknown) =>
  api("PUT", `/v1/onboarding/${vendorId}/step`, { token, body });

/** A draft with its essentials in: a name, a contact address and a stocked SKU in one warehouse. */
async function readyDraft() {
  const v = await onboarded();
  const wh = await api("POST", `/v1/vendors/${v.vendorId}/warehouses`, {
    token: v.token,
    body: { name: "Koramangala", lat: BENGALURU.lat, lng: BENGALURU.lng, postalCode: "560034", country: "IN" },
  });
  expect(wh.status).toBe(201);
  const product = await newProduct();
  const sku = await api("POST", "/v1/skus", {
    token: v.token,
    body: {
      vendorId: v.vendorId,
      productId: product.id,
      code: uid("C-"),
      title: `Mug ${uid()}`,
      price: inr(29_900),
      barcode: uid("89"),
    },
  });
  expect(sku.status).toBe(201);
  const stock = await api("PUT", `/v1/skus/${sku.body.id}/stock`, {
    token: v.token,
    body: { warehouseId: wh.body.id, onHand: 10, reason: "count" },
  });
  expect(stock.status).toBe(200);
  return { ...v, skuId: sku.body.id as string, productId: product.id as string, title: sku.body.title as string };
}

describe("invites", () => {
  it("an invite opens once: it creates the draft vendor and its account and signs it in", async () => {
    const inv = await invited(`Mixed.Case.${uid()}@Shop.Example`, "Chai Corner");
    expect(inv.link).toMatch(/^https:\/\/oms\.test\/vendor\/welcome#invite=inv_/);
    expect(inv.email).toBe(inv.email.toLowerCase());
    const opened = await api("POST", "/v1/onboarding/invites/accept", { body: { token: inv.secret } });
    expect(opened.status).toBe(201);
    const me = await api("GET", "/v1/me", { token: opened.body.token });
    expect(me.body).toEqual({ role: "vendor", vendorId: opened.body.vendorId, currency: "INR" });
    const draft = await api("GET", `/v1/onboarding/${opened.body.vendorId}`, { token: opened.body.token });
    expect(draft.body).toMatchObject({
      email: inv.email,
      name: "Chai Corner",
      contactEmail: inv.email,
      state: "draft",
      step: "profile",
      warehouses: 0,
      missing: ["warehouses"],
    });
    const vendor = await api("GET", `/v1/vendors/${opened.body.vendorId}`, { token: ADMIN });
    expect(vendor.body).toMatchObject({ status: "active", onboarding: "draft" });

    const again = await api("POST", "/v1/onboarding/invites/accept", { body: { token: inv.secret } });
    expect(again.status).toBe(410);
    expect(again.headers.get("content-type")).toMatch(/application\/problem\+json/);
    expect(again.body).toMatchObject({ code: "LINK_USED", detail: "This invite was already used" });
  });

  it("an invite opened several times at once makes one vendor; the other openings are told it was used", async () => {
    const inv = await invited();
    const openings = await Promise.all(
      [1, 2, 3, 4].map(() => api("POST", "/v1/onboarding/invites/accept", { body: { token: inv.secret } })),
    );
    expect(openings.map((r) => r.status).sort()).toEqual([201, 410, 410, 410]);
    for (const r of openings.filter((r) => r.status === 410)) {
      expect(r.body).toMatchObject({ code: "LINK_USED", detail: "This invite was already used" });
    }
    const accounts = await env.DB.prepare("select count(*) as n from vendor_accounts where email = ?")
      .bind(inv.email)
      .first();
    expect(accounts).toEqual({ n: 1 });
  });

  it("an expired invite is refused with a clear error and creates nothing", async () => {
    const inv = await invited();
    await env.DB.prepare("update vendor_invites set expires_at = '2020-01-01T00:00:00Z' where id = ?")
      .bind(inv.id)
      .run();
    const r = await api("POST", "/v1/onboarding/invites/accept", { body: { token: inv.secret } });
    expect(r.status).toBe(410);
    expect(r.body).toMatchObject({ code: "LINK_EXPIRED", detail: "This invite expired at 2020-01-01T00:00:00Z" });
    const accounts = await env.DB.prepare("select count(*) as n from vendor_accounts where email = ?")
      .bind(inv.email)
      .first();
    expect(accounts).toEqual({ n: 0 });
  });

  it("an unknown invite is 404; an address with an account is not invited twice", async () => {
    const r = await api("POST", "/v1/onboarding/invites/accept", { body: { token: "inv_not-a-real-invite-secret" } });
    expect(r.status).toBe(404);
    const v = await onboarded();
    const twice = await api("POST", "/v1/onboarding/invites", { token: ADMIN, body: { email: v.email } });
    expect(twice.status).toBe(409);
  });

  it("only ops and admins invite", async () => {
    const shopper = await newCustomer();
    const { token } = await newVendorWithToken();
    for (const t of [shopper.token, token]) {
      const r = await api("POST", "/v1/onboarding/invites", { token: t, body: { email: `${uid()}@x.example` } });
      expect(r.status).toBe(403);
    }
  });

  it("vendors made by POST /v1/vendors stay approved and live", async () => {
    const { vendor } = await newVendorWithToken();
    expect(vendor.onboarding).toBe("approved");
  });
});

describe("the wizard's draft", () => {
  it("saves each step on the server and resumes after the last saved one", async () => {
    const v = await onboarded();
    const bad = await step(v.token, v.vendorId, { step: "profile", name: "  " });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].path).toBe("name");
    const profile = await step(v.token, v.vendorId, { step: "profile", name: "Masala Mills" });
    expect(profile.status).toBe(200);
    expect(profile.body).toMatchObject({ name: "Masala Mills", step: "contacts" });
    // Another session of the same vendor (another device) reads the same draft.
    const resumed = await api("GET", `/v1/onboarding/${v.vendorId}`, { token: v.token });
    expect(resumed.body).toMatchObject({ name: "Masala Mills", step: "contacts" });

    const contacts = await step(v.token, v.vendorId, { step: "contacts", contactEmail: "not-an-email" });
    expect(contacts.status).toBe(422);
    const ok = await step(v.token, v.vendorId, {
      step: "contacts",
      contactEmail: "orders@masala.example",
      contactPhone: "+91 98450 11111",
    });
    expect(ok.body).toMatchObject({
      contactEmail: "orders@masala.example",
      contactPhone: "+91 98450 11111",
      step: "warehouses",
    });

    const early = await api("POST", `/v1/onboarding/${v.vendorId}/submit`, { token: v.token });
    expect(early.status).toBe(422);
    expect(early.body.errors).toEqual([{ path: "warehouses", message: "required before submitting" }]);

    await newWarehouse(v.vendorId);
    expect((await step(v.token, v.vendorId, { step: "warehouses" })).body.step).toBe("payout");
    expect((await step(v.token, v.vendorId, { step: "payout" })).body.step).toBe("products");
    expect((await step(v.token, v.vendorId, { step: "products" })).body.step).toBe("review");
    const submitted = await api("POST", `/v1/onboarding/${v.vendorId}/submit`, { token: v.token });
    expect(submitted.body).toMatchObject({ state: "submitted", missing: [] });
    const late = await step(v.token, v.vendorId, { step: "profile", name: "Changed" });
    expect(late.status).toBe(409);
    expect((await api("GET", `/v1/vendors/${v.vendorId}`, { token: ADMIN })).body.name).toBe("Masala Mills");
  });
});

describe("access", () => {
  it("a vendor never sees or changes another vendor's draft (404); customers 403", async () => {
    const a = await onboarded();
    const b = await onboarded();
    const established = await newVendorWithToken();
    for (const token of [b.token, established.token]) {
      expect((await api("GET", `/v1/onboarding/${a.vendorId}`, { token })).status).toBe(404);
      expect((await step(token, a.vendorId, { step: "profile", name: "Taken over" })).status).toBe(404);
      expect((await api("POST", `/v1/onboarding/${a.vendorId}/submit`, { token })).status).toBe(404);
      expect((await api("PATCH", `/v1/vendors/${a.vendorId}`, { token, body: { name: "Taken over" } })).status).toBe(
        404,
      );
    }
    expect((await api("GET", "/v1/onboarding", { token: b.token })).status).toBe(403);
    const shopper = await newCustomer();
    expect((await api("GET", `/v1/onboarding/${a.vendorId}`, { token: shopper.token })).status).toBe(403);
    expect((await step(shopper.token, a.vendorId, { step: "profile", name: "x" })).status).toBe(403);
    expect((await api("GET", `/v1/onboarding/${a.vendorId}`)).status).toBe(401);
    expect((await api("GET", `/v1/onboarding/${a.vendorId}`, { token: a.token })).body.name).not.toBe("Taken over");
  });
});

describe("approval", () => {
  it("a draft's offers are not listed, not routed to and not sold until ops approve it", async () => {
    const v = await readyDraft();
    const shopper = await newCustomer();
    const listed = async () => {
      const skus = await api("GET", `/v1/catalog/skus?search=${encodeURIComponent(v.title)}`);
      const products = await api("GET", `/v1/catalog/products?search=${encodeURIComponent(v.title)}`);
      return skus.body.items.length + products.body.items.length;
    };
    expect(await listed()).toBe(0);
    const bySku = await checkout(shopper.token, [{ skuId: v.skuId, qty: 1 }]);
    expect(bySku.status).toBe(422);
    expect(bySku.body.errors[0]).toMatchObject({ path: "lines.0.skuId", message: "this SKU is not for sale" });
    const byProduct = await api("POST", "/v1/checkout", {
      token: shopper.token,
      body: {
        lines: [{ productId: v.productId, qty: 1 }],
        shipTo: {
          name: "A",
          phone: "+91 98450 00000",
          address: { line1: "1 Road", city: "Bengaluru", postalCode: "560001", country: "IN" },
          ...BENGALURU,
        },
      },
      headers: { "Idempotency-Key": uid("idem-") },
    });
    expect(byProduct.status).toBeGreaterThanOrEqual(400);
    expect(byProduct.status).toBeLessThan(500);

    const ops = await tokenFor("ops");
    const early = await api("POST", `/v1/onboarding/${v.vendorId}/decision`, {
      token: ops,
      body: { decision: "approve" },
    });
    expect(early.status).toBe(409);
    await api("POST", `/v1/onboarding/${v.vendorId}/submit`, { token: v.token });
    const queue = await api("GET", "/v1/onboarding?state=submitted&limit=200", { token: ops });
    expect(queue.body.items.map((o: { vendorId: string }) => o.vendorId)).toContain(v.vendorId);
    const rejected = await api("POST", `/v1/onboarding/${v.vendorId}/decision`, {
      token: ops,
      body: { decision: "reject", reason: "Add a GSTIN to the business name" },
    });
    expect(rejected.body).toMatchObject({ state: "rejected", rejectReason: "Add a GSTIN to the business name" });
    expect(await listed()).toBe(0);
    expect((await step(v.token, v.vendorId, { step: "profile", name: `${v.title} GSTIN 29ABCDE` })).status).toBe(200);
    await api("POST", `/v1/onboarding/${v.vendorId}/submit`, { token: v.token });
    const vendorDecides = await api("POST", `/v1/onboarding/${v.vendorId}/decision`, {
      token: v.token,
      body: { decision: "approve" },
    });
    expect(vendorDecides.status).toBe(403);
    const approved = await api("POST", `/v1/onboarding/${v.vendorId}/decision`, {
      token: ops,
      body: { decision: "approve" },
    });
    expect(approved.body).toMatchObject({ state: "approved", rejectReason: null });

    expect(await listed()).toBe(2);
    const sold = await checkout(shopper.token, [{ skuId: v.skuId, qty: 1 }]);
    expect(sold.status).toBe(201);
  });

  it("ops cannot approve a submitted vendor whose essentials were removed after it submitted", async () => {
    const v = await onboarded();
    const wh = await newWarehouse(v.vendorId);
    expect((await api("POST", `/v1/onboarding/${v.vendorId}/submit`, { token: v.token })).body.state).toBe("submitted");
    // The vendor API stays open to the vendor while ops review: it drops its contact and its only warehouse.
    expect(
      (await api("PATCH", `/v1/vendors/${v.vendorId}`, { token: v.token, body: { contactEmail: null } })).status,
    ).toBe(200);
    expect(
      (await api("PATCH", `/v1/warehouses/${wh.id}`, { token: v.token, body: { status: "inactive" } })).status,
    ).toBe(200);

    const ops = await tokenFor("ops");
    const approve = await api("POST", `/v1/onboarding/${v.vendorId}/decision`, {
      token: ops,
      body: { decision: "approve" },
    });
    expect(approve.status).toBe(422);
    expect(approve.headers.get("content-type")).toMatch(/application\/problem\+json/);
    expect(approve.body.errors).toEqual([
      { path: "contactEmail", message: "required before approving" },
      { path: "warehouses", message: "required before approving" },
    ]);
    const after = await api("GET", `/v1/onboarding/${v.vendorId}`, { token: ops });
    expect(after.body).toMatchObject({ state: "submitted", decidedAt: null });
    expect((await api("GET", `/v1/vendors/${v.vendorId}`, { token: ADMIN })).body.onboarding).toBe("submitted");

    // Sending it back stays possible, so the vendor can put the essentials back and submit again.
    const back = await api("POST", `/v1/onboarding/${v.vendorId}/decision`, {
      token: ops,
      body: { decision: "reject", reason: "Add a contact address and a warehouse" },
    });
    expect(back.body).toMatchObject({ state: "rejected" });
  });

  it("an approved vendor's SKUs stay live as before", async () => {
    const { vendorId } = await newVendorWithToken();
    const product = await newProduct();
    const sku = await newSku(vendorId, product.id);
    const r = await api("GET", `/v1/catalog/skus?search=${encodeURIComponent(sku.title)}`);
    expect(r.body.items.map((i: { skuId: string }) => i.skuId)).toEqual([sku.id]);
  });
});
