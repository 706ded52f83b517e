import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { database } from "../../src/db/client";
import { journalsOfOrder } from "../../src/db/ledger";
import { loadSubject } from "../../src/reassignment/load";
import { type ReassignInput, reassignLoadedSubOrder } from "../../src/reassignment/reassign";
import { api, newCustomer, tokenFor, uid } from "../support/api";
import { expectStockEquation, pay } from "../support/marketplace";
import { order, reassignableMarket } from "./routing.fixtures";

/**
 * The losing order of reassignment.race.test.ts, forced: the reassignment reads the sub-order, then
 * the vendor's cancel lands and its refund posts to the ledger, then the reassignment goes on with
 * what it read. It must answer a conflict and leave everything as the cancel left it.
 */

const ON_HAND = 10;

async function cancelledUnderAStaleRead(target: "warehouse" | "vendor") {
  const { a, b } = await reassignableMarket(ON_HAND);
  const shopper = await newCustomer();
  const placed = await order(shopper.token, [{ skuId: a.skuId, qty: 2 }]);
  expect(placed.status, JSON.stringify(placed.body)).toBe(201);
  expect((await pay(shopper.token, placed.body.payment.id)).body.status).toBe("paid");
  const orderId = placed.body.order.id as string;
  const sub = placed.body.order.subOrders[0];

  const input: ReassignInput = {
    subOrderId: sub.id,
    target: target === "warehouse" ? { warehouseId: a.warehouseIds[1]! } : { skuId: b.skuId },
    reason: "stale read",
    key: uid("ra-"),
    actor: { role: "ops", id: null },
    now: new Date(),
  };
  const read = await loadSubject(env, input);
  if (!read.ok) throw new Error(`the paid sub-order should be movable: ${JSON.stringify(read)}`);

  const vendorA = await tokenFor("vendor", { vendorId: a.vendorId });
  const cancelled = await api("POST", `/v1/sub-orders/${sub.id}/cancel`, {
    token: vendorA,
    body: { reason: "cannot source it" },
  });
  expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
  const kinds = async () => (await journalsOfOrder(database(env), orderId)).map((j) => j.kind);
  expect(await kinds()).toEqual(["payment_captured", "refund"]);

  const outcome = await reassignLoadedSubOrder(env, undefined, read.subject, input);
  return { a, b, orderId, sub, outcome, kinds };
}

describe("a reassignment that read the sub-order before its cancel and refund landed", () => {
  for (const target of ["warehouse", "vendor"] as const) {
    it(`is refused as ILLEGAL_TRANSITION (the route's 409) and changes nothing (a move to another ${target})`, async () => {
      const { a, b, orderId, sub, outcome, kinds } = await cancelledUnderAStaleRead(target);
      expect(outcome).toEqual({
        ok: false,
        code: "ILLEGAL_TRANSITION",
        detail: `Sub-order ${sub.id} is cancelled now: it changed while the move was being prepared; nothing was moved`,
        allowed: [],
      });

      // No move, no journal, no timeline entry: the rows are as the cancel left them.
      expect(await kinds()).toEqual(["payment_captured", "refund"]);
      const rows = await env.DB.prepare(
        `select (select count(*) from reassignments where order_id = ?1) as moves,
                (select count(*) from sub_orders where order_id = ?1) as subs,
                (select status from sub_orders where id = ?2) as status,
                (select count(*) from order_events where order_id = ?1 and type like 'sub_order.reassigned%') as events`,
      )
        .bind(orderId, sub.id)
        .first();
      expect(rows).toEqual({ moves: 0, subs: 1, status: "cancelled", events: 0 });
      const lines = await env.DB.prepare("select warehouse_id as w, qty from line_items where sub_order_id = ?")
        .bind(sub.id)
        .all();
      expect(lines.results).toEqual([{ w: a.warehouseIds[0], qty: 2 }]);

      // The units the move set aside went back, and the cancel released the order's own.
      for (const skuId of [a.skuId, b.skuId]) {
        const snap = await expectStockEquation(skuId);
        for (const w of snap.warehouses) {
          expect({ skuId, w: w.warehouseId, available: w.available }).toEqual({
            skuId,
            w: w.warehouseId,
            available: ON_HAND,
          });
        }
      }
    });
  }
});
