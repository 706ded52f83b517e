import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { reconcileBridgePage } from "../../src/inventory/bridge-reconcile";
import { lost, stockCalls } from "../support/bindings";
import { bridgeSecret, sendBridge } from "../support/bridge";
import { stockedSku } from "../support/marketplace";

const BLR = { lat: 12.97, lng: 77.59 };

describe("a bridge page's lease", () => {
  it("runs from the real clock when the page comes late (a retried continuation): a page beside it takes none of its rows", async () => {
    const s = await stockedSku({ warehouses: [{ at: BLR, onHand: 10 }], vendor: { hourlyCapacity: 1_000_000 } });
    const warehouseId = s.warehouseIds[0]!;
    const secret = await bridgeSecret(s.vendorId);
    const sent = await sendBridge(s.vendorId, secret, {
      rows: [{ skuId: s.skuId, warehouseId, delta: 5, reason: "restock" }],
    });
    expect(sent.status).toBe(202);

    // A continuation sent three minutes ago, delivered again after the queue's backoff, whose
    // stock call has not answered yet (here: never does, so the rows stay leased to it).
    const late = await reconcileBridgePage(stockCalls({ applyBridge: () => lost }), new Date(Date.now() - 3 * 60_000));
    expect(late.failedSkus).toBe(1);
    const { results } = await env.DB.prepare("select lease_until as leaseUntil from bridge_rows where vendor_id = ?")
      .bind(s.vendorId)
      .all<{ leaseUntil: number }>();
    expect(results).toHaveLength(1);
    expect(results[0]!.leaseUntil).toBeGreaterThan(Date.now());

    // The minute's page, beside it.
    expect((await reconcileBridgePage(env, new Date())).rows).toBe(0);
  });
});
