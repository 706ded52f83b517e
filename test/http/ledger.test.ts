import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { cancelSubOrder } from "../../src/cancellation/sub-order-cancellation";
import { database } from "../../src/db/client";
import { accountBalances, creditNotesOf, journalsOfOrder, type PostedJournal } from "../../src/db/ledger";
import { balanceOf, type LedgerEntry } from "../../src/domain/ledger";
import { basisPointsOf } from "../../src/domain/money";
import { systemActor } from "../../src/domain/principal";
import { ADMIN, api, newCustomer, tokenFor, uid } from "../support/api";
import { BENGALURU, checkout, DELHI, MUMBAI, pay, stockedSku } from "../support/marketplace";
import { seedPaidOrders } from "../support/seed-orders";
import { east, nearAndDearOffers, offer, order } from "./routing.fixtures";

const db = () => database(env);
const step = (token: string, sub: string, name: string, body?: unknown) =>
  api("POST", `/v1/sub-orders/${sub}/${name}`, { token, ...(body === undefined ? {} : { body }) });

async function deliver(token: string, sub: string, awb: { carrier: string; awb: string }) {
  await step(token, sub, "confirm");
  const lines = (await api("GET", `/v1/sub-orders/${sub}`, { token: ADMIN })).body.lines;
  const scanned = lines.flatMap((l: any) => Array.from({ length: l.qty }, () => l.barcode as string));
  expect((await step(token, sub, "pack", { scanned })).status).toBe(200);
  expect((await step(token, sub, "dispatch", awb)).status).toBe(200);
  expect((await step(token, sub, "deliver")).body.status).toBe("delivered");
}

const all = (journals: PostedJournal[]): LedgerEntry[] => journals.flatMap((j) => j.entries);
const ofSub = (entries: LedgerEntry[], sub: string) => entries.filter((e) => e.subOrderId === sub);
const owedTo = (entries: LedgerEntry[], sub: string) => 0 - balanceOf(ofSub(entries, sub), "vendor_payable");

type SubRow = { id: string; subtotal: number; shipping: number; total: number; fee: number; bps: number };
async function subRow(id: string): Promise<SubRow> {
  return (await env.DB.prepare(
    "select id, subtotal_minor as subtotal, shipping_minor as shipping, total_minor as total, commission_minor as fee, commission_bps as bps from sub_orders where id = ?",
  )
    .bind(id)
    .first<SubRow>())!;
}

async function returnedUnits(subOrderId: string): Promise<number> {
  const row = await env.DB.prepare("select coalesce(sum(returned_qty), 0) as n from line_items where sub_order_id = ?")
    .bind(subOrderId)
    .first<{ n: number }>();
  return row!.n;
}

function expectBalanced(journals: PostedJournal[]) {
  for (const j of journals)
    expect(
      j.entries.reduce((n, e) => n + e.amountMinor, 0),
      j.id,
    ).toBe(0);
}

describe("the ledger, written with each business change", () => {
  it("posts a capture, a partial return and a cancellation once each, balanced, fees recomputed on what remains", async () => {
    const skus = [
      await stockedSku({
        warehouses: [{ at: BENGALURU, onHand: 10 }],
        priceMinor: 10_000,
        vendor: { commissionBps: 1_250 },
      }),
      await stockedSku({ warehouses: [{ at: MUMBAI, onHand: 10 }], priceMinor: 999, vendor: { commissionBps: 333 } }),
    ];
    const shopper = await newCustomer();
    const placed = await checkout(shopper.token, [
      { skuId: skus[0]!.skuId, qty: 2 },
      { skuId: skus[1]!.skuId, qty: 3 },
    ]);
    const paid = await pay(shopper.token, placed.body.payment.id);
    expect(paid.body.status).toBe("paid");
    const orderId = paid.body.id as string;
    const subOf = async (i: number) =>
      subRow(paid.body.subOrders.find((s: any) => s.vendorId === skus[i]!.vendorId).id);
    const [a, b] = [await subOf(0), await subOf(1)];

    let journals = await journalsOfOrder(db(), orderId);
    expect(journals.map((j) => j.kind)).toEqual(["payment_captured"]);
    expectBalanced(journals);
    for (const s of [a, b]) {
      expect(owedTo(all(journals), s.id)).toBe(s.subtotal + s.shipping - basisPointsOf(s.subtotal, s.bps));
      expect(0 - balanceOf(ofSub(all(journals), s.id), "platform_fees")).toBe(s.fee);
    }
    expect(balanceOf(all(journals), "shopper_payments")).toBe(paid.body.total.amountMinor);

    // A partial return of one of B's three units: its price back, the fee recomputed on the two left.
    const bToken = await tokenFor("vendor", { vendorId: skus[1]!.vendorId });
    await deliver(bToken, b.id, { carrier: "delhivery", awb: "2234567890123" });
    const lineId = (await api("GET", `/v1/sub-orders/${b.id}`, { token: ADMIN })).body.lines[0].id;
    const returnOne = () =>
      api("POST", `/v1/sub-orders/${b.id}/return`, {
        token: bToken,
        body: { lines: [{ lineId, qty: 1, restockable: true }], reason: "wrong size" },
        headers: { "Idempotency-Key": `ledger-return-${orderId}` },
      });
    expect((await returnOne()).status).toBe(200);
    expect((await returnOne()).status).toBe(200);
    journals = await journalsOfOrder(db(), orderId);
    expect(journals.map((j) => j.kind)).toEqual(["payment_captured", "refund"]);
    expectBalanced(journals);
    const refund = journals[1]!;
    expect(0 - balanceOf(refund.entries, "refunds")).toBe(999);
    expect(balanceOf(refund.entries, "platform_fees")).toBe(basisPointsOf(2_997, 333) - basisPointsOf(1_998, 333));
    expect(0 - balanceOf(ofSub(all(journals), b.id), "platform_fees")).toBe(basisPointsOf(1_998, 333));
    const [note] = await creditNotesOf(db(), skus[1]!.vendorId, 2026);
    expect(note).toMatchObject({ subOrderId: b.id, number: 1, amountMinor: 999 });

    // A's vendor cancels, three times at once: one refund journal, nothing owed, no fee kept.
    const aToken = await tokenFor("vendor", { vendorId: skus[0]!.vendorId });
    const cancels = await Promise.all([1, 2, 3].map(() => step(aToken, a.id, "cancel", { reason: "out_of_stock" })));
    expect(cancels.every((r) => r.status === 200)).toBe(true);
    journals = await journalsOfOrder(db(), orderId);
    expect(journals.map((j) => j.kind)).toEqual(["payment_captured", "refund", "refund"]);
    expectBalanced(journals);
    const entries = all(journals);
    expect(owedTo(entries, a.id)).toBe(0);
    expect(balanceOf(ofSub(entries, a.id), "platform_fees")).toBe(0);
    expect(0 - balanceOf(ofSub(entries, a.id), "refunds")).toBe(a.total);
    // Every captured unit is owed to a vendor, kept as a fee or refunded: nothing twice, nothing lost.
    const refunded = await env.DB.prepare("select refunded_minor as r from payments where order_id = ?")
      .bind(orderId)
      .first<{ r: number }>();
    expect(0 - balanceOf(entries, "refunds")).toBe(refunded!.r);
    expect(
      owedTo(entries, a.id) +
        owedTo(entries, b.id) -
        balanceOf(entries, "platform_fees") -
        balanceOf(entries, "refunds"),
    ).toBe(paid.body.total.amountMinor);
  });

  it("owes a reassigned vendor its own offer price, the difference the platform's cost, under the move's claim", async () => {
    const { product, b } = await nearAndDearOffers();
    const shopper = await newCustomer();
    const placed = await order(shopper.token, [{ productId: product.id, qty: 2 }]);
    await pay(shopper.token, placed.body.payment.id);
    const orderId = placed.body.order.id as string;
    const sub = placed.body.order.subOrders[0];
    const r = await api("POST", `/v1/sub-orders/${sub.id}/reassign`, {
      token: ADMIN,
      headers: { "Idempotency-Key": uid("ra-") },
      body: { target: { skuId: b.skuId }, reason: "vendor A asked us to" },
    });
    expect(r.status).toBe(200);
    const moved = await subRow(r.body.subOrders.find((x: any) => x.id !== sub.id).id);
    const journals = await journalsOfOrder(db(), orderId);
    expect(journals.map((j) => j.kind)).toEqual(["payment_captured", "reassignment"]);
    expectBalanced(journals);
    const entries = all(journals);
    expect(balanceOf(entries, "platform_reassignment_cost")).toBe(2 * 5_000);
    expect(owedTo(entries, sub.id)).toBe(0);
    expect(balanceOf(ofSub(entries, sub.id), "platform_fees")).toBe(0);
    // The shopper still pays 2 x 50,000; vendor B is owed 2 x 55,000, less its fee on the goods it sells.
    expect(moved.subtotal).toBe(100_000);
    expect(owedTo(entries, moved.id)).toBe(100_000 + moved.shipping + 10_000 - basisPointsOf(100_000, moved.bps));
    expect(0 - balanceOf(ofSub(entries, moved.id), "platform_fees")).toBe(moved.fee);
  });

  it("gives back a reassignment's adjustment with each returned unit, pro rata, and all of it with the last", async () => {
    const { product, b } = await nearAndDearOffers();
    const shopper = await newCustomer();
    const placed = await order(shopper.token, [{ productId: product.id, qty: 2 }]);
    const paid = await pay(shopper.token, placed.body.payment.id);
    const orderId = placed.body.order.id as string;
    const sub = placed.body.order.subOrders[0];
    const r = await api("POST", `/v1/sub-orders/${sub.id}/reassign`, {
      token: ADMIN,
      headers: { "Idempotency-Key": uid("ra-") },
      body: { target: { skuId: b.skuId }, reason: "vendor A asked us to" },
    });
    expect(r.status).toBe(200);
    const movedId = r.body.subOrders.find((x: any) => x.id !== sub.id).id as string;
    const bToken = await tokenFor("vendor", { vendorId: b.vendorId });
    await deliver(bToken, movedId, { carrier: "generic", awb: uid("AWB-").toUpperCase() });
    const lineId = (await api("GET", `/v1/sub-orders/${movedId}`, { token: ADMIN })).body.lines[0].id;
    const returnOne = (key: string) =>
      api("POST", `/v1/sub-orders/${movedId}/return`, {
        token: bToken,
        body: { lines: [{ lineId, qty: 1, restockable: true }], reason: "wrong size" },
        headers: { "Idempotency-Key": key },
      });

    const figures = async () => {
      const journals = await journalsOfOrder(db(), orderId);
      expectBalanced(journals);
      const entries = all(journals);
      const mine = ofSub(entries, movedId);
      const moved = await subRow(movedId);
      const goods = moved.subtotal - 50_000 * (await returnedUnits(movedId));
      const adjustment =
        0 -
        balanceOf(
          mine.filter((e) => e.component === "adjustment"),
          "vendor_payable",
        );
      // Captured = owed to vendors + fees + refunds − the reassignment's cost, to the minor unit.
      expect(
        0 -
          balanceOf(entries, "vendor_payable") -
          balanceOf(entries, "platform_fees") -
          balanceOf(entries, "refunds") -
          balanceOf(entries, "platform_reassignment_cost"),
      ).toBe(paid.body.total.amountMinor);
      // Vendor B is owed its own offer price for what it still sells, less its fee on those goods.
      expect(owedTo(entries, movedId)).toBe(goods + moved.shipping + adjustment - basisPointsOf(goods, moved.bps));
      return { adjustment, platformCost: balanceOf(entries, "platform_reassignment_cost") };
    };
    expect(await figures()).toEqual({ adjustment: 10_000, platformCost: 10_000 });
    const ra = await returnOne(`ret-a-${movedId}`);
    expect(ra.status, JSON.stringify(ra.body)).toBe(200);
    expect(await figures()).toEqual({ adjustment: 5_000, platformCost: 5_000 });
    expect((await returnOne(`ret-b-${movedId}`)).status).toBe(200);
    expect(await figures()).toEqual({ adjustment: 0, platformCost: 0 });
  });

  it("moves a reassigned unit's adjustment with it when it is reassigned again", async () => {
    const { product, b } = await nearAndDearOffers();
    const c = await offer({
      productId: product.id,
      priceMinor: 52_000,
      warehouses: [{ at: east(BENGALURU, 50), onHand: 3 }],
    });
    const shopper = await newCustomer();
    const placed = await order(shopper.token, [{ productId: product.id, qty: 2 }]);
    const paid = await pay(shopper.token, placed.body.payment.id);
    const orderId = placed.body.order.id as string;
    const first = await api("POST", `/v1/sub-orders/${placed.body.order.subOrders[0].id}/reassign`, {
      token: ADMIN,
      headers: { "Idempotency-Key": uid("ra-") },
      body: { target: { skuId: b.skuId }, reason: "A is out" },
    });
    expect(first.status).toBe(200);
    const atB = first.body.subOrders.find((x: any) => x.vendorId === b.vendorId).id as string;
    const lineId = (await api("GET", `/v1/sub-orders/${atB}`, { token: ADMIN })).body.lines[0].id;
    // One of B's two units moves on to C: it takes its 5,000 with it, and C is owed 2,000 for it.
    const second = await api("POST", `/v1/sub-orders/${atB}/reassign`, {
      token: ADMIN,
      headers: { "Idempotency-Key": uid("ra-") },
      body: { lines: [{ lineId, qty: 1 }], target: { skuId: c.skuId }, reason: "B has one only" },
    });
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    const atC = second.body.subOrders.find((x: any) => x.vendorId === c.vendorId).id as string;
    const journals = await journalsOfOrder(db(), orderId);
    expectBalanced(journals);
    const entries = all(journals);
    const adjustmentOf = (id: string) =>
      0 -
      balanceOf(
        ofSub(entries, id).filter((e) => e.component === "adjustment"),
        "vendor_payable",
      );
    expect({ b: adjustmentOf(atB), c: adjustmentOf(atC) }).toEqual({ b: 5_000, c: 2_000 });
    expect(balanceOf(entries, "platform_reassignment_cost")).toBe(7_000);
    expect(
      0 -
        balanceOf(entries, "vendor_payable") -
        balanceOf(entries, "platform_fees") -
        balanceOf(entries, "refunds") -
        balanceOf(entries, "platform_reassignment_cost"),
    ).toBe(paid.body.total.amountMinor);
  });

  it("numbers credit notes per vendor and year without a gap or a repeat when many refunds land at once", async () => {
    const s = await stockedSku({
      warehouses: [{ at: BENGALURU, onHand: 40 }],
      priceMinor: 1_500,
      vendor: { hourlyCapacity: 500 },
    });
    const orders = await seedPaidOrders(s.skuId, 24);
    const outcomes = await Promise.all(
      orders.flatMap((o) =>
        [1, 2].map(() =>
          cancelSubOrder(env, undefined, {
            subOrderId: o.subOrderIds[0]!,
            reason: "out_of_stock",
            actor: systemActor("sla-watcher"),
            now: new Date(),
          }),
        ),
      ),
    );
    expect(outcomes.every((o) => o.ok)).toBe(true);
    const notes = await creditNotesOf(db(), s.vendorId, 2026);
    expect(notes.map((n) => n.number)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    const counter = await env.DB.prepare("select last from credit_note_counters where vendor_id = ?")
      .bind(s.vendorId)
      .first();
    expect(counter).toEqual({ last: 24 });
    const balances = await accountBalances(db(), { vendorId: s.vendorId });
    expect(balances.filter((x) => x.account === "vendor_payable").reduce((n, x) => n + x.balanceMinor, 0)).toBe(0);
  });
});

describe("earnings views", () => {
  it("shows a vendor its own earnings (pending, then cleared after the hold) and 404s anyone else's, 403 to shoppers", async () => {
    const s = await stockedSku({
      warehouses: [{ at: DELHI, onHand: 300 }],
      priceMinor: 2_000,
      vendor: { hourlyCapacity: 1000 },
    });
    const orders = await seedPaidOrders(s.skuId, 3);
    const own = await tokenFor("vendor", { vendorId: s.vendorId });
    const other = await tokenFor("vendor", { vendorId: (await stockedSku({ warehouses: [] })).vendorId });
    const shopper = await newCustomer();

    const read = (token: string) => api("GET", `/v1/vendors/${s.vendorId}/earnings`, { token });
    expect((await read(other)).status).toBe(404);
    expect((await api("GET", `/v1/vendors/${s.vendorId}/earnings/sub-orders`, { token: other })).status).toBe(404);
    expect((await read(shopper.token)).status).toBe(403);
    expect((await api("GET", "/v1/admin/earnings", { token: own })).status).toBe(403);

    const before = await read(own);
    expect(before.status).toBe(200);
    const sub = await subRow(orders[0]!.subOrderIds[0]!);
    const net = sub.total - sub.fee;
    expect(before.body).toMatchObject({ pendingMinor: 3 * net, clearedMinor: 0, transferredMinor: 0, holdDays: 7 });

    // Delivered eight days ago: past the seven-day hold, so cleared.
    await deliver(own, sub.id, { carrier: "delhivery", awb: "3234567890123" });
    const eightDaysAgo = new Date(Date.now() - 8 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    await env.DB.prepare("update sub_orders set delivered_at = ? where id = ?").bind(eightDaysAgo, sub.id).run();
    expect((await read(own)).body).toMatchObject({ pendingMinor: 2 * net, clearedMinor: net });
    // A refund of it still owed (the provider down for a return): the payout run will not pay it, so
    // it is not shown as payable now.
    const owedId = `return:${sub.id}:test-owed`;
    await env.DB.prepare(
      `insert into pending_refunds (id, sub_order_id, order_id, payment_id, kind, amount_minor, currency, reason, created_at)
       select ?, s.id, s.order_id, p.id, 'return', 500, 'INR', 'wrong size', ? from sub_orders s join payments p on p.order_id = s.order_id where s.id = ?`,
    )
      .bind(owedId, eightDaysAgo, sub.id)
      .run();
    expect((await read(own)).body).toMatchObject({ pendingMinor: 3 * net, clearedMinor: 0 });
    // So too in its list, which says no date it clears by: that waits on the refund.
    const item = async () =>
      (await api("GET", `/v1/vendors/${s.vendorId}/earnings/sub-orders?limit=50`, { token: own })).body.items.find(
        (i: { subOrderId: string }) => i.subOrderId === sub.id,
      );
    expect(await item()).toMatchObject({ state: "pending", clearsAt: null });
    expect((await item()).waiting).toBeUndefined();
    await env.DB.prepare("update pending_refunds set settled_at = ? where id = ?").bind(eightDaysAgo, owedId).run();
    expect((await read(own)).body).toMatchObject({ pendingMinor: 2 * net, clearedMinor: net });
    expect(await item()).toMatchObject({ state: "cleared", clearsAt: expect.any(String) });
    const list = await api("GET", `/v1/vendors/${s.vendorId}/earnings/sub-orders?limit=2`, { token: own });
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(2);
    expect(list.body.nextCursor).not.toBeNull();
  });

  it("pages a vendor's sub-orders past any page and D1's bound-parameter limit, each once", async () => {
    const s = await stockedSku({
      warehouses: [{ at: BENGALURU, onHand: 500 }],
      priceMinor: 1_000,
      vendor: { hourlyCapacity: 5000 },
    });
    const placed = await seedPaidOrders(s.skuId, 205, 25);
    const own = await tokenFor("vendor", { vendorId: s.vendorId });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor ? `?limit=200&cursor=${cursor}` : "?limit=200";
      const r = await api("GET", `/v1/vendors/${s.vendorId}/earnings/sub-orders${q}`, { token: own });
      expect(r.status).toBe(200);
      for (const item of r.body.items) {
        expect(item.state).toBe("pending");
        expect(item.history.map((h: any) => h.kind)).toEqual(["payment_captured"]);
      }
      seen.push(...r.body.items.map((i: any) => i.subOrderId));
      cursor = r.body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(205);
    expect(new Set(seen)).toEqual(new Set(placed.map((o) => o.subOrderIds[0])));
    const ops = await api("GET", "/v1/admin/earnings", { token: await tokenFor("ops") });
    expect(ops.status).toBe(200);
    expect(ops.body.capturedMinor).toBe(
      ops.body.pendingMinor +
        ops.body.clearedMinor +
        ops.body.platformFeesMinor +
        ops.body.refundsMinor -
        ops.body.reassignmentCostMinor,
    );
  });
});
