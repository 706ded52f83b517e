import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { cancelSubOrder } from "../../src/cancellation/sub-order-cancellation";
import { watchSlas } from "../../src/jobs/sla-watcher";
import { setReview } from "../../src/review/review";
import { uid } from "../support/api";
import { stockCalls } from "../support/bindings";
import { expectStockEquation, stockOf } from "../support/marketplace";
import { breachedPaidOrder } from "../support/seed-orders";

describe("an SLA breach that stops being one, cancelled by ops while the watcher holds its units again", () => {
  it("cancelled between the watcher's read of it and its units held again: the units go back on sale", async () => {
    const o = await breachedPaidOrder();
    const ops = { role: "ops" as const, id: uid("tok_") };
    let flagged = false;
    let cancelled = false;
    const bindings = stockCalls({
      // The order is flagged once the watcher's cancel has released the unit, so its write does not land.
      release:
        (release, sku) =>
        async (...args) => {
          const r = await release(...args);
          if (sku === o.skuId && !flagged) {
            flagged = true;
            const review = await setReview(env, undefined, {
              orderId: o.orderId,
              hold: true,
              note: "suspected fraud",
              actor: ops,
              now: new Date(),
            });
            expect(review.ok).toBe(true);
          }
          return r;
        },
      // Ops cancel the sub-order after the watcher read it still open, before it holds the unit again:
      // their release finds the hold released already, and their write lands.
      reserve:
        (reserve, sku) =>
        async (...args) => {
          if (sku === o.skuId && !cancelled) {
            cancelled = true;
            const r = await cancelSubOrder(env, undefined, {
              subOrderId: o.subOrderId,
              reason: "fraud",
              actor: ops,
              now: new Date(),
            });
            expect(r).toMatchObject({ ok: true, changed: true });
          }
          return reserve(...args);
        },
    });

    const result = await watchSlas(bindings, new Date());
    expect(result).toMatchObject({ cancelled: 0, failed: 0 });
    expect(cancelled).toBe(true);

    const sub = await env.DB.prepare("select status, cancellation_reason as reason from sub_orders where id = ?")
      .bind(o.subOrderId)
      .first<{ status: string; reason: string | null }>();
    expect(sub).toEqual({ status: "cancelled", reason: "fraud" });
    const holds = await env.SKU_STOCK.get(env.SKU_STOCK.idFromName(o.skuId)).holdsOf(o.holdId);
    expect(holds.filter((h) => h.status === "held" || h.status === "committed")).toEqual([]);
    expect((await stockOf(o.skuId)).totals).toMatchObject({ onHand: 5, available: 5, held: 0, committed: 0 });
    await expectStockEquation(o.skuId);
  });
});
