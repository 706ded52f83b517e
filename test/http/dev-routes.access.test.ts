import { describe, expect, it } from "vitest";
import * as devEntry from "../../src/dev/index";
import * as productionEntry from "../../src/index";
import { ADMIN, api, newCustomer, tokenFor } from "../support/api";
import { newVendorWithToken } from "../support/catalog";
import { devOnlyOperations, KNOWN_DEV_ROUTES, urlOf } from "../support/entries";
import { checkout, pay, stockedSku } from "../support/marketplace";

const SIMULATE = "POST /payments/{paymentId}/simulate";
const JOB_RUN = { method: "POST", path: "/admin/jobs/{name}/run", roles: ["admin"] };

describe("development routes", () => {
  it("are the production Worker's exports plus routes, with the same object classes", () => {
    // Plus `direct`, the same handler for `bun run start`'s direct socket (src/dev/index.ts).
    expect(Object.keys(devEntry).sort()).toEqual([...Object.keys(productionEntry), "direct"].sort());
    expect(devEntry.direct.fetch).toBe(devEntry.default.fetch);
  });

  it("are admin-only, bar the payer's simulated payment: 401 anonymous, 403 to a customer", async () => {
    const { devOnly } = await devOnlyOperations();
    expect(devOnly.map((op) => `${op.method} ${op.path}`)).toEqual(expect.arrayContaining(KNOWN_DEV_ROUTES));
    const shopper = await newCustomer();
    for (const op of [...devOnly.filter((o) => `${o.method} ${o.path}` !== SIMULATE), JOB_RUN]) {
      const route = `${op.method} ${op.path}`;
      expect(op.roles, route).toEqual(["admin"]);
      const body = op.method === "GET" ? {} : { body: { now: "2030-01-01T00:00:00Z" } };
      const anonymous = await api(op.method, urlOf(op), body);
      expect([anonymous.status, anonymous.body.code], `${route} anonymous`).toEqual([401, "UNAUTHENTICATED"]);
      const customer = await api(op.method, urlOf(op), { ...body, token: shopper.token });
      expect([customer.status, customer.body.code], `${route} as a customer`).toEqual([403, "FORBIDDEN"]);
    }
  });

  it("let the payer or an admin settle a simulated payment; nobody else", async () => {
    const sku = await stockedSku({ warehouses: [{ at: { lat: 12.9716, lng: 77.5946 }, onHand: 5 }] });
    const payer = await newCustomer();
    const placed = await checkout(payer.token, [{ skuId: sku.skuId, qty: 1 }]);
    expect(placed.status).toBe(201);
    const paymentId = placed.body.payment.id as string;

    const other = await newCustomer();
    expect((await pay(other.token, paymentId)).status).toBe(404);
    expect((await api("POST", `/v1/payments/${paymentId}/simulate`, { body: { outcome: "succeeded" } })).status).toBe(
      401,
    );
    expect((await pay((await newVendorWithToken()).token, paymentId)).status).toBe(403);
    expect((await pay(await tokenFor("ops"), paymentId)).status).toBe(403);
    const paid = await pay(payer.token, paymentId);
    expect([paid.status, paid.body.status]).toEqual([200, "paid"]);
    // A repeat of the same outcome answers the same order, here by an admin.
    expect((await pay(ADMIN, paymentId)).status).toBe(200);
  });
});
