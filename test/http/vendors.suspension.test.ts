import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, api, tokenFor } from "../support/api";
import { BENGALURU, stockedSku } from "../support/marketplace";
import { seedPaidOrders } from "../support/seed-orders";

/**
 * Suspending a vendor tells ops, once per suspension, how many of its sub-orders still wait on it
 * (paid, confirmed or packed), so they reassign them instead of shoppers waiting out the SLA.
 */

const setStatus = (vendorId: string, status: "active" | "suspended") =>
  api("PATCH", `/v1/vendors/${vendorId}`, { token: ADMIN, body: { status } });

type Alert = { template: string; text: string; params: Record<string, unknown> };

/** Ops' alerts naming the vendor, as `GET /v1/ops-alerts` lists them. */
async function suspensionAlerts(vendorId: string): Promise<Alert[]> {
  const ops = await tokenFor("ops");
  const r = await api("GET", "/v1/ops-alerts?limit=100", { token: ops });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return (r.body.items as Alert[]).filter(
    (a) => a.template === "vendor_suspended_open_orders" && a.params.vendorId === vendorId,
  );
}

describe("PATCH /v1/vendors/{id} status suspended", () => {
  it("alerts ops once with the count of the vendor's open sub-orders, and not again while it stays suspended", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 10 }] });
    await seedPaidOrders(s.skuId, 2);

    const suspended = await setStatus(s.vendorId, "suspended");
    expect(suspended.status, JSON.stringify(suspended.body)).toBe(200);
    expect(suspended.body.status).toBe("suspended");
    const [alert, ...more] = await suspensionAlerts(s.vendorId);
    expect(more).toEqual([]);
    expect(alert).toMatchObject({ params: { vendorId: s.vendorId, openSubOrders: 2 } });
    expect(alert!.text).toContain(s.vendorId);
    expect(alert!.text).toContain("2 open sub-order(s)");

    // Already suspended: nothing changes, nothing more to tell.
    expect((await setStatus(s.vendorId, "suspended")).status).toBe(200);
    expect(await suspensionAlerts(s.vendorId)).toHaveLength(1);
  });

  it("alerts once when the same suspension is sent twice at once", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 10 }] });
    await seedPaidOrders(s.skuId, 1);
    const both = await Promise.all([setStatus(s.vendorId, "suspended"), setStatus(s.vendorId, "suspended")]);
    expect(both.map((r) => r.status)).toEqual([200, 200]);
    expect(await suspensionAlerts(s.vendorId)).toHaveLength(1);
  });

  it("alerts again for a later suspension after the vendor was reinstated", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 10 }] });
    await seedPaidOrders(s.skuId, 1);
    await setStatus(s.vendorId, "suspended");
    expect((await setStatus(s.vendorId, "active")).body.status).toBe("active");
    await setStatus(s.vendorId, "suspended");
    expect((await suspensionAlerts(s.vendorId)).map((a) => a.params.openSubOrders)).toEqual([1, 1]);
  });

  it("raises no alert for a vendor with no open sub-order", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 10 }] });
    const r = await setStatus(s.vendorId, "suspended");
    expect(r.status).toBe(200);
    expect(r.body.status).toBe("suspended");
    expect(await suspensionAlerts(s.vendorId)).toEqual([]);
    const row = await env.DB.prepare("select status from vendors where id = ?")
      .bind(s.vendorId)
      .first<{ status: string }>();
    expect(row?.status).toBe("suspended");
  });
});
