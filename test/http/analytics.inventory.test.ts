import { env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { database } from "../../src/db/client";
import { snapshotStock } from "../../src/db/rollups";
import { localDay } from "../../src/domain/local-day";
import { config } from "../../src/platform/config";
import { ADMIN, api } from "../support/api";
import { BENGALURU, MUMBAI, stockedSku } from "../support/marketplace";

describe("the inventory report", () => {
  it("counts a closed warehouse's units on hand but not as available, as the reorder suggestions do", async () => {
    const s = await stockedSku({
      warehouses: [
        { at: BENGALURU, onHand: 10 },
        { at: MUMBAI, onHand: 50 },
      ],
    });
    await vi.waitFor(async () => {
      const mirrored = await env.DB.prepare("select count(*) as n from stock_levels where sku_id = ?")
        .bind(s.skuId)
        .first<{ n: number }>();
      expect(mirrored?.n).toBe(2);
    });
    const closed = await api("PATCH", `/v1/warehouses/${s.warehouseIds[1]}`, {
      token: ADMIN,
      body: { status: "inactive" },
    });
    expect(closed.status).toBe(200);
    await snapshotStock(database(env), localDay(new Date(), config(env).timeZone));

    const report = await api("GET", `/v1/analytics/vendors/${s.vendorId}/inventory`, { token: ADMIN });
    expect(report.status).toBe(200);
    const row = report.body.items.find((i: { skuId: string }) => i.skuId === s.skuId);
    expect(row).toMatchObject({ onHand: 60, available: 10 });
  });
});
