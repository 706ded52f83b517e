import { SELF } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { type EventFrame, ServerFrame, VendorStockData } from "../../src/contracts/feeds";
import { StockLevels } from "../../src/contracts/stock";
import { ADMIN, api, newCustomer, tokenFor } from "../support/api";
import { BENGALURU, checkout, stockedSku } from "../support/marketplace";

/** The vendor's feed through the real Worker: its `stock.changed` frames. */
async function vendorFeed(vendorId: string, token: string) {
  const feed = `vendor:${vendorId}`;
  const minted = await api<{ ticket: string }>("POST", "/v1/feeds/tickets", { token, body: { feed } });
  expect(minted.status).toBe(201);
  const res = await SELF.fetch(
    `https://oms.test/v1/feeds/vendors/${vendorId}?ticket=${encodeURIComponent(minted.body.ticket)}`,
    { headers: { Upgrade: "websocket" } },
  );
  expect(res.status).toBe(101);
  const ws = res.webSocket!;
  const changes: VendorStockData[] = [];
  ws.accept();
  ws.addEventListener("message", (e) => {
    if (e.data === "pong") return;
    const f = ServerFrame.parse(JSON.parse(e.data as string));
    if ("id" in f && (f as EventFrame).type === "stock.changed") changes.push(VendorStockData.parse(f.data));
  });
  return { changes, close: () => ws.close() };
}

describe("the exact stock read's version", () => {
  it("is the SKU's, as the vendor feed's stock.changed carries it, and moves with every change", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }] });
    const vendor = await tokenFor("vendor", { vendorId: s.vendorId });
    const read = async () => {
      const r = await api("GET", `/v1/skus/${s.skuId}/stock`, { token: vendor });
      expect(r.status).toBe(200);
      const levels = StockLevels.parse(r.body);
      expect(levels.version).toEqual(expect.any(Number));
      return { ...levels, version: levels.version! };
    };
    const before = await read();
    expect(before.version).toBeGreaterThan(0);
    const feed = await vendorFeed(s.vendorId, vendor);

    // A hold moves it (no on-hand version moves): the read says the same version as the event.
    const shopper = await newCustomer();
    expect((await checkout(shopper.token, [{ skuId: s.skuId, qty: 2 }])).status).toBe(201);
    const held = await vi.waitFor(
      () => {
        const e = feed.changes.find((c) => c.totals.held === 2);
        if (!e) throw new Error(`no hold in ${JSON.stringify(feed.changes)}`);
        return e;
      },
      { timeout: 5_000, interval: 10 },
    );
    expect(held.version).toBeGreaterThan(before.version);
    const after = await read();
    expect(after).toMatchObject({ version: held.version, totals: held.totals });

    // A count moves it again, as its event says.
    const counted = await api("PUT", `/v1/skus/${s.skuId}/stock`, {
      token: vendor,
      body: { warehouseId: s.warehouseIds[0], onHand: 9, expectedVersion: 1, reason: "count" },
    });
    expect(counted.status).toBe(200);
    const recounted = await vi.waitFor(
      () => {
        const e = feed.changes.find((c) => c.totals.onHand === 9);
        if (!e) throw new Error(`no count in ${JSON.stringify(feed.changes)}`);
        return e;
      },
      { timeout: 5_000, interval: 10 },
    );
    expect(recounted.version).toBeGreaterThan(held.version);
    expect((await read()).version).toBe(recounted.version);
    feed.close();
  });

  it("is read by admin and ops too, and not by the public", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }] });
    const byAdmin = await api("GET", `/v1/skus/${s.skuId}/stock`, { token: ADMIN });
    const byOps = await api("GET", `/v1/skus/${s.skuId}/stock`, { token: await tokenFor("ops") });
    expect(byAdmin.body.version).toBeGreaterThan(0);
    expect(byOps.body.version).toBe(byAdmin.body.version);

    const anyone = await api("GET", `/v1/skus/${s.skuId}/stock`);
    expect(anyone.body).toEqual({ skuId: s.skuId, totals: { available: 5 } });
  });

  it("is a field of StockLevels in the OpenAPI document", async () => {
    const doc = await api("GET", "/v1/openapi.json");
    expect(doc.status).toBe(200);
    const schema = doc.body.components.schemas.StockLevels;
    expect(schema.properties.version.type).toBe("integer");
  });
});
