import { env } from "cloudflare:test";
import { drizzle } from "drizzle-orm/d1";
import { describe, expect, it } from "vitest";
import type { Db } from "../../src/db/client";
import * as schema from "../../src/db/schema";
import { listSubOrders } from "../../src/db/sub-orders";
import { ADMIN, api, tokenFor, uid } from "../support/api";
import { BENGALURU, packedSubOrder, stockedSku } from "../support/marketplace";

let seq = 0;
/** A 13-digit AWB no other test of this file uses: valid for Delhivery and for the generic carrier. */
const digitsAwb = () => `7${String(Date.now() % 1e8).padStart(8, "0")}${String(++seq).padStart(4, "0")}`;

/** A vendor with `n` packed sub-orders, ready to dispatch. */
async function vendorWithPacked(n: number) {
  const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 10 }] });
  const token = await tokenFor("vendor", { vendorId: s.vendorId });
  const subs: string[] = [];
  for (let i = 0; i < n; i++) subs.push(await packedSubOrder(s.skuId, token));
  return { vendorId: s.vendorId, token, subs };
}

const dispatch = (sub: string, token: string, body: { carrier: string; awb: string }) =>
  api("POST", `/v1/sub-orders/${sub}/dispatch`, { token, body });

const correct = (sub: string, token: string, body: { carrier: string; awb: string }) =>
  api("POST", `/v1/sub-orders/${sub}/awb`, { token, body, headers: { "Idempotency-Key": uid("awb-fix-") } });

const listed = async (token: string, query: string) => {
  const r = await api("GET", `/v1/sub-orders?${query}`, { token });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return (r.body.items as { id: string }[]).map((s) => s.id).sort();
};

describe("a dispatch refused for an AWB already in use", () => {
  it("names the vendor's own sub-order that holds it, on dispatch and on correction", async () => {
    const v = await vendorWithPacked(3);
    const [x, y, z] = v.subs as [string, string, string];
    const awb = uid("AWB-").toUpperCase();
    // The packer puts Y's label on X.
    expect((await dispatch(x, v.token, { carrier: "generic", awb })).status).toBe(200);

    const refused = await dispatch(y, v.token, { carrier: "generic", awb });
    expect(refused.status).toBe(409);
    expect(refused.headers.get("content-type")).toContain("application/problem+json");
    expect(refused.body).toMatchObject({ code: "AWB_IN_USE", subOrderId: x });
    expect(refused.body.detail).toContain(x);
    expect(refused.body.detail).toContain(awb);

    // The same for ops acting on it, and for a "Wrong AWB?" correction that would take it.
    const ops = await tokenFor("ops");
    expect((await dispatch(y, ops, { carrier: "generic", awb })).body).toMatchObject({ subOrderId: x });
    expect((await dispatch(z, v.token, { carrier: "generic", awb: uid("AWB-").toUpperCase() })).status).toBe(200);
    const corrected = await correct(z, v.token, { carrier: "generic", awb });
    expect(corrected.status).toBe(409);
    expect(corrected.body).toMatchObject({ code: "AWB_IN_USE", subOrderId: x });
    expect(corrected.body.detail).toContain(x);
  });

  it("never names another vendor's sub-order to a vendor, but does to ops", async () => {
    const a = await vendorWithPacked(1);
    const b = await vendorWithPacked(2);
    const [x] = a.subs as [string];
    const [y, w] = b.subs as [string, string];
    const awb = uid("AWB-").toUpperCase();
    expect((await dispatch(x, a.token, { carrier: "generic", awb })).status).toBe(200);

    const refused = await dispatch(y, b.token, { carrier: "generic", awb });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe("AWB_IN_USE");
    expect(refused.body).not.toHaveProperty("subOrderId");
    expect(refused.body.detail).toBe(`generic AWB ${awb} is already on another sub-order that is not cancelled`);
    expect(JSON.stringify(refused.body)).not.toContain(x);

    expect((await dispatch(w, b.token, { carrier: "generic", awb: uid("AWB-").toUpperCase() })).status).toBe(200);
    const corrected = await correct(w, b.token, { carrier: "generic", awb });
    expect(corrected.status).toBe(409);
    expect(corrected.body).not.toHaveProperty("subOrderId");
    expect(JSON.stringify(corrected.body)).not.toContain(x);

    const ops = await tokenFor("ops");
    expect((await dispatch(y, ops, { carrier: "generic", awb })).body).toMatchObject({
      code: "AWB_IN_USE",
      subOrderId: x,
    });
    expect((await correct(w, ADMIN, { carrier: "generic", awb })).body).toMatchObject({ subOrderId: x });
  });
});

describe("GET /v1/sub-orders?awb=", () => {
  it("finds the parcel with the AWB, and a vendor only ever its own", async () => {
    const a = await vendorWithPacked(2);
    const b = await vendorWithPacked(1);
    const [x, other] = a.subs as [string, string];
    const [y] = b.subs as [string];
    const awb = digitsAwb();
    // One number, two carriers: A's Delhivery parcel and B's generic one.
    expect((await dispatch(x, a.token, { carrier: "delhivery", awb })).status).toBe(200);
    expect((await dispatch(y, b.token, { carrier: "generic", awb })).status).toBe(200);
    expect((await dispatch(other, a.token, { carrier: "delhivery", awb: digitsAwb() })).status).toBe(200);

    expect(await listed(a.token, `awb=${awb}`)).toEqual([x]);
    expect(await listed(a.token, `awb=${awb}&carrier=delhivery`)).toEqual([x]);
    expect(await listed(a.token, `awb=${awb}&carrier=generic`)).toEqual([]);
    expect(await listed(a.token, `awb=${awb}&sort=slaDispatchBy`)).toEqual([x]);
    expect(await listed(b.token, `awb=${awb}`)).toEqual([y]);
    expect(await listed(b.token, `awb=${awb}&carrier=delhivery`)).toEqual([]);
    expect((await api("GET", `/v1/sub-orders?awb=${awb}&vendorId=${a.vendorId}`, { token: b.token })).status).toBe(404);

    const ops = await tokenFor("ops");
    expect(await listed(ops, `awb=${awb}`)).toEqual([x, y].sort());
    expect(await listed(ops, `awb=${awb}&carrier=generic`)).toEqual([y]);
    expect(await listed(ops, `awb=${awb}&vendorId=${a.vendorId}`)).toEqual([x]);
    expect(await listed(ops, `awb=${digitsAwb()}`)).toEqual([]);
  });

  it("refuses a carrier without an AWB", async () => {
    const ops = await tokenFor("ops");
    const r = await api("GET", "/v1/sub-orders?carrier=generic", { token: ops });
    expect(r.status).toBe(422);
    expect(r.body.errors).toEqual([{ path: "carrier", message: expect.any(String) }]);
  });

  it("is read from sub_orders_awb, with a carrier or without, never a scan of every sub-order", async () => {
    const statements: { sql: string; params: unknown[] }[] = [];
    const db = drizzle(env.DB, {
      schema,
      logger: { logQuery: (sql, params) => statements.push({ sql, params }) },
    }) as unknown as Db;
    for (const carrier of ["generic", undefined]) {
      for (const sort of ["-createdAt", "slaDispatchBy"] as const) {
        for (const [vendorId, status] of [
          ["ven_1", undefined],
          ["ven_1", "dispatched"],
          [undefined, "dispatched"],
          [undefined, undefined],
        ] as const) {
          await listSubOrders(db, {
            vendorId,
            status,
            label: { awb: "TRK-000000", carrier },
            hideHeld: vendorId !== undefined,
            sort,
            after: undefined,
            limit: 50,
          });
        }
      }
    }
    expect(statements.length).toBeGreaterThanOrEqual(16);
    for (const s of statements) {
      const { results } = await env.DB.prepare(`explain query plan ${s.sql}`)
        .bind(...s.params)
        .all<{ detail: string }>();
      const plan = results.map((r) => r.detail).join("\n");
      expect(plan, s.sql).toMatch(/SEARCH sub_orders USING INDEX sub_orders_awb \(carrier=\? AND awb=\?\)/);
      expect(plan, s.sql).not.toMatch(/SCAN sub_orders\b/);
    }
  });
});
