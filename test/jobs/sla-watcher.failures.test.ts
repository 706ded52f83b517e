import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { isoSeconds } from "../../src/domain/time";
import { watchSlas } from "../../src/jobs/sla-watcher";
import { lost, stockCalls } from "../support/bindings";
import { BENGALURU, MUMBAI, stockedSku } from "../support/marketplace";
import { seedPaidOrders } from "../support/seed-orders";

const statusOf = async (subOrderId: string) =>
  (await env.DB.prepare("select status from sub_orders where id = ?").bind(subOrderId).first<{ status: string }>())!
    .status;

describe("the SLA watcher when one breach's cancel throws", () => {
  it("cancels the page's other breaches and sends the rest on, leaving the failed one for the next tick", async () => {
    const broken = await stockedSku({ warehouses: [{ at: MUMBAI, onHand: 5 }] });
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 20 }], vendor: { hourlyCapacity: 1_000 } });
    const [stuck] = await seedPaidOrders(broken.skuId, 1);
    const rest = await seedPaidOrders(s.skuId, 7);
    // The failing breach is the earliest deadline, first on the page; one more than a page is due.
    const deadline = (minutesAgo: number) => isoSeconds(Date.now() - minutesAgo * 60_000);
    await env.DB.batch([
      env.DB.prepare("update sub_orders set sla_dispatch_by = ? where id = ?").bind(
        deadline(30),
        stuck!.subOrderIds[0],
      ),
      ...rest.map((o, i) =>
        env.DB.prepare("update sub_orders set sla_dispatch_by = ? where id = ?").bind(
          deadline(20 - i),
          o.subOrderIds[0],
        ),
      ),
    ]);

    const failing = stockCalls({ release: (call, skuId) => (skuId === broken.skuId ? lost : call) });
    const result = await watchSlas(failing, new Date());

    expect(result).toMatchObject({ cancelled: 5, failed: 1, continued: true });
    expect(await statusOf(stuck!.subOrderIds[0]!)).toBe("paid");
    expect(await Promise.all(rest.slice(0, 5).map((o) => statusOf(o.subOrderIds[0]!)))).toEqual(
      Array(5).fill("cancelled"),
    );

    // The next tick, the stock object reachable again, cancels it.
    await watchSlas(env, new Date(Date.now() + 60_000));
    expect(await statusOf(stuck!.subOrderIds[0]!)).toBe("cancelled");
  });
});
