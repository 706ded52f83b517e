import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, api, newCustomer, tokenFor, uid } from "../support/api";
import { inr, newProduct, newSku, newVendor, newWarehouse } from "../support/catalog";
import { BENGALURU, expectStockEquation, pay, stockedSku, stockOf } from "../support/marketplace";
import { east, holdsOf, nearAndDearOffers, offer, order, paidMergeableOrder } from "./routing.fixtures";

const reassign = (token: string, subOrderId: string, body: unknown, key: string | null = uid("ra-")) =>
  api("POST", `/v1/sub-orders/${subOrderId}/reassign`, {
    token,
    body,
    ...(key === null ? {} : { headers: { "Idempotency-Key": key } }),
  });

const warehousesOf = async (skuId: string) =>
  new Map(
    (await stockOf(skuId)).warehouses.map((w) => [
      w.warehouseId,
      { held: w.held, committed: w.committed, available: w.available },
    ]),
  );

async function reassignments(orderId: string) {
  const r = await env.DB.prepare(
    "select platform_cost_minor as cost, from_sub_order_id as fromSub, to_sub_order_id as toSub, reason, actor_role as role from reassignments where order_id = ?",
  )
    .bind(orderId)
    .all<{ cost: number; fromSub: string; toSub: string; reason: string; role: string }>();
  return r.results;
}

describe("manual override of routing", () => {
  it("moves a line's units to another warehouse exactly and releases the old hold", async () => {
    const s = await stockedSku({
      warehouses: [
        { at: east(BENGALURU, 2), onHand: 5 },
        { at: east(BENGALURU, 80), onHand: 5 },
      ],
    });
    const [w1, w2] = s.warehouseIds as [string, string];
    const shopper = await newCustomer();
    const placed = await order(shopper.token, [{ skuId: s.skuId, qty: 2 }]);
    const sub = placed.body.order.subOrders[0];
    expect(sub.lines[0].warehouseId).toBe(w1);
    expect((await pay(shopper.token, placed.body.payment.id)).body.status).toBe("paid");
    const ops = await tokenFor("ops");

    const r = await reassign(ops, sub.id, { target: { warehouseId: w2 }, reason: "Koramangala flooded" });
    expect(r.status).toBe(200);
    expect(r.body.subOrders).toHaveLength(1);
    expect(r.body.subOrders[0].lines.map((l: any) => [l.skuId, l.warehouseId, l.qty])).toEqual([[s.skuId, w2, 2]]);
    expect(r.body.total).toEqual(placed.body.order.total);
    const event = r.body.timeline.at(-1);
    expect(event).toMatchObject({ type: "sub_order.reassigned", subOrderId: sub.id, reason: "Koramangala flooded" });
    expect(event.actor.role).toBe("ops");
    const stock = await warehousesOf(s.skuId);
    expect(stock.get(w1)).toEqual({ held: 0, committed: 0, available: 5 });
    expect(stock.get(w2)).toEqual({ held: 0, committed: 2, available: 3 });
    expect((await holdsOf(s.skuId, placed.body.order.id)).map((h) => [h.warehouseId, h.qty, h.status])).toEqual([
      [w2, 2, "committed"],
    ]);
    expect(await reassignments(placed.body.order.id)).toEqual([
      { cost: 0, fromSub: sub.id, toSub: sub.id, reason: "Koramangala flooded", role: "ops" },
    ]);
    await expectStockEquation(s.skuId);
  });

  it("moves a paid line to another vendor's offer: committed stock follows, the price stays, the difference is the platform's", async () => {
    const { product, a, b } = await nearAndDearOffers();
    const shopper = await newCustomer();
    const placed = await order(shopper.token, [{ productId: product.id, qty: 2 }]);
    expect(placed.body.order.subOrders[0].vendorId).toBe(a.vendorId);
    await pay(shopper.token, placed.body.payment.id);
    const sub = placed.body.order.subOrders[0];

    const r = await reassign(ADMIN, sub.id, { target: { skuId: b.skuId }, reason: "vendor A asked us to" });
    expect(r.status).toBe(200);
    expect(r.body.status).toBe("paid");
    // B's lines start a sub-order of their own; A's, emptied, is closed as reassigned (never re-labelled to B).
    expect(r.body.subOrders).toHaveLength(2);
    const closed = r.body.subOrders.find((x: any) => x.id === sub.id);
    const moved = r.body.subOrders.find((x: any) => x.id !== sub.id);
    expect([closed.id, closed.vendorId, closed.status, closed.cancellationReason]).toEqual([
      sub.id,
      a.vendorId,
      "cancelled",
      "reassigned",
    ]);
    expect([moved.vendorId, moved.status]).toEqual([b.vendorId, "paid"]);
    expect(moved.lines.map((l: any) => [l.skuId, l.warehouseId, l.qty, l.unitPrice])).toEqual([
      [b.skuId, b.warehouseIds[0], 2, inr(50_000)],
    ]);
    expect(r.body.total).toEqual(placed.body.order.total);
    expect(Date.parse(moved.slaDispatchBy)).toBeGreaterThan(Date.now());
    expect((await stockOf(a.skuId)).totals).toMatchObject({ committed: 0, held: 0, available: 3 });
    expect((await stockOf(b.skuId)).totals).toMatchObject({ committed: 2, held: 0, available: 1 });
    expect(await holdsOf(a.skuId, placed.body.order.id)).toEqual([]);
    expect((await reassignments(placed.body.order.id))[0]?.cost).toBe(2 * 5_000);
    // B's vendor now sees the order with the lines; A's sees only its sub-order, closed and empty.
    const bView = await api("GET", `/v1/orders/${placed.body.order.id}`, {
      token: await tokenFor("vendor", { vendorId: b.vendorId }),
    });
    expect(bView.body.subOrders.map((x: any) => [x.id, x.lines.length])).toEqual([[moved.id, 1]]);
    const aView = await api("GET", `/v1/orders/${placed.body.order.id}`, {
      token: await tokenFor("vendor", { vendorId: a.vendorId }),
    });
    expect(aView.body.subOrders.map((x: any) => [x.id, x.status, x.lines.length])).toEqual([[sub.id, "cancelled", 0]]);
    // Ops' reason is for ops: the shopper and both vendors see that the lines moved, not why.
    const shopperView = await api("GET", `/v1/orders/${placed.body.order.id}`, { token: shopper.token });
    for (const view of [shopperView, aView, bView]) {
      const moves = view.body.timeline.filter((e: any) => e.type.startsWith("sub_order.reassigned"));
      expect(moves.length).toBeGreaterThan(0);
      expect(moves.map((e: any) => e.reason)).toEqual(moves.map(() => null));
    }
    expect(r.body.timeline.find((e: any) => e.type === "sub_order.reassigned").reason).toBe("vendor A asked us to");
    const audit = await api("POST", "/v1/admin/jobs/audit-invariants/run", { token: ADMIN, body: {} });
    expect(audit.body.result.violations.filter((v: any) => v.orderId === placed.body.order.id)).toEqual([]);
    await expectStockEquation(a.skuId);
    await expectStockEquation(b.skuId);
  });

  it("merges part of a line into the sub-order a vendor already has, and keeps the totals whole", async () => {
    const { a, b, bOtherId, placed, subA, subB } = await paidMergeableOrder(3);
    const r = await reassign(ADMIN, subA.id, {
      lines: [{ lineId: subA.lines[0].id, qty: 1 }],
      target: { vendorId: b.vendorId },
      reason: "split the load",
    });
    expect(r.status).toBe(200);
    const after = new Map(r.body.subOrders.map((x: any) => [x.id, x]));
    expect((after.get(subA.id) as any).lines.map((l: any) => [l.skuId, l.qty])).toEqual([[a.skuId, 2]]);
    expect(
      (after.get(subB.id) as any).lines
        .map((l: any) => [l.skuId, l.qty])
        .sort((x: any, y: any) => (x[0] < y[0] ? -1 : 1)),
    ).toEqual(
      [
        [b.skuId, 1],
        [bOtherId, 1],
      ].sort((x, y) => (x[0]! < y[0]! ? -1 : 1)),
    );
    const total = r.body.subOrders.reduce((n: number, x: any) => n + x.total.amountMinor, 0);
    expect(total).toBe(placed.body.order.total.amountMinor);
    expect((await stockOf(a.skuId)).totals).toMatchObject({ committed: 2, available: 3 });
    expect((await stockOf(b.skuId)).totals).toMatchObject({ committed: 1, available: 4 });
  });

  it("closes a sub-order emptied into another vendor's as reassigned, without calling the order cancelled", async () => {
    const product = await newProduct();
    const a = await offer({ productId: product.id, warehouses: [{ at: east(BENGALURU, 3), onHand: 5 }] });
    const b = await stockedSku({ warehouses: [{ at: east(BENGALURU, 300), onHand: 5 }] });
    const bOffer = await api("POST", "/v1/skus", {
      token: ADMIN,
      body: {
        vendorId: b.vendorId,
        productId: product.id,
        code: `B-${a.skuId}`,
        title: "B's offer",
        price: inr(50_000),
        barcode: `78${Date.now()}`,
        lowStockThreshold: 0,
      },
    });
    await api("PUT", `/v1/skus/${bOffer.body.id}/stock`, {
      token: ADMIN,
      body: { warehouseId: b.warehouseIds[0], onHand: 5, reason: "count" },
    });
    const shopper = await newCustomer();
    const placed = await order(shopper.token, [
      { productId: product.id, qty: 1 },
      { skuId: b.skuId, qty: 1 },
    ]);
    await pay(shopper.token, placed.body.payment.id);
    const subA = placed.body.order.subOrders.find((x: any) => x.vendorId === a.vendorId);
    // A's proof photo of the parcel it was about to pack.
    const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1]);
    const aToken = await tokenFor("vendor", { vendorId: a.vendorId });
    const photo = await api("PUT", `/v1/sub-orders/${subA.id}/photo`, {
      token: aToken,
      rawBody: JPEG,
      headers: { "content-type": "image/jpeg" },
    });
    expect(photo.status).toBe(204);
    const r = await reassign(ADMIN, subA.id, { target: { vendorId: b.vendorId }, reason: "consolidate" });
    expect(r.status).toBe(200);
    expect(r.body.status).toBe("paid");
    const emptied = r.body.subOrders.find((x: any) => x.id === subA.id);
    expect(emptied).toMatchObject({ status: "cancelled", cancellationReason: "reassigned", total: inr(0), lines: [] });
    const mine = await api("GET", `/v1/orders/${placed.body.order.id}`, { token: shopper.token });
    expect(mine.body.subOrders.map((x: any) => x.vendorId)).toEqual([b.vendorId]);
    expect(mine.body.total).toEqual(placed.body.order.total);
    expect((await stockOf(bOffer.body.id)).totals).toMatchObject({ committed: 1, held: 0 });
    expect((await stockOf(a.skuId)).totals).toMatchObject({ committed: 0, held: 0, available: 5 });

    // Moved back, A's sub-order comes back to life with a new parcel to pack: no photo of the old one.
    const subB = r.body.subOrders.find((x: any) => x.vendorId === b.vendorId);
    const moved = subB.lines.find((l: any) => l.skuId === bOffer.body.id);
    const back = await reassign(ADMIN, subB.id, {
      lines: [{ lineId: moved.id }],
      target: { vendorId: a.vendorId },
      reason: "A has it after all",
    });
    expect(back.status, JSON.stringify(back.body)).toBe(200);
    expect(back.body.subOrders.find((x: any) => x.id === subA.id)).toMatchObject({ status: "paid" });
    expect((await api("GET", `/v1/sub-orders/${subA.id}/photo`, { token: aToken })).status).toBe(404);
  });

  it("lets routing pick the new place when no target is named", async () => {
    const product = await newProduct();
    const a = await offer({ productId: product.id, warehouses: [{ at: east(BENGALURU, 3), onHand: 5 }] });
    const b = await offer({ productId: product.id, warehouses: [{ at: east(BENGALURU, 300), onHand: 5 }] });
    const shopper = await newCustomer();
    const placed = await order(shopper.token, [{ productId: product.id, qty: 2 }]);
    expect(placed.body.order.subOrders[0].vendorId).toBe(a.vendorId);
    await pay(shopper.token, placed.body.payment.id);
    const r = await reassign(ADMIN, placed.body.order.subOrders[0].id, { target: {}, reason: "A is closed today" });
    expect(r.status).toBe(200);
    const moved = r.body.subOrders.find((x: any) => x.vendorId === b.vendorId);
    expect(moved.lines.map((l: any) => [l.skuId, l.warehouseId])).toEqual([[b.skuId, b.warehouseIds[0]]]);
  });

  it("refuses a target that cannot cover the units, and changes nothing", async () => {
    const s = await stockedSku({
      warehouses: [
        { at: east(BENGALURU, 2), onHand: 5 },
        { at: east(BENGALURU, 50), onHand: 1 },
      ],
    });
    const product = await newProduct();
    const elsewhere = await offer({ productId: product.id, warehouses: [{ at: BENGALURU, onHand: 1 }] });
    const shopper = await newCustomer();
    const placed = await order(shopper.token, [{ skuId: s.skuId, qty: 3 }]);
    await pay(shopper.token, placed.body.payment.id);
    const sub = placed.body.order.subOrders[0];
    const ops = await tokenFor("ops");
    const before = await api("GET", `/v1/orders/${placed.body.order.id}`, { token: ops });
    const stockBefore = await stockOf(s.skuId);

    const short = await reassign(ops, sub.id, { target: { warehouseId: s.warehouseIds[1] }, reason: "try" });
    expect(short.status).toBe(409);
    expect(short.body.code).toBe("OUT_OF_STOCK");
    const otherProduct = await reassign(ops, sub.id, { target: { skuId: elsewhere.skuId }, reason: "try" });
    expect(otherProduct.status).toBe(422);
    const notMine = await reassign(ops, sub.id, { lines: [{ lineId: "li_nope" }], target: {}, reason: "try" });
    expect(notMine.status).toBe(422);
    const tooMany = await reassign(ops, sub.id, {
      lines: [{ lineId: sub.lines[0].id, qty: 4 }],
      target: { warehouseId: s.warehouseIds[1] },
      reason: "try",
    });
    expect(tooMany.status).toBe(422);

    expect((await api("GET", `/v1/orders/${placed.body.order.id}`, { token: ops })).body).toEqual(before.body);
    expect(await stockOf(s.skuId)).toEqual(stockBefore);
    expect(await reassignments(placed.body.order.id)).toEqual([]);
  });

  it("keeps the variant the shopper bought: never another SKU of the product, at this vendor or another", async () => {
    // One vendor, one product in two sizes: M has 1 unit, at W1 only; L has plenty at W1 and W2.
    const product = await newProduct();
    const a = await newVendor();
    const [w1, w2] = [
      (await newWarehouse(a.id, { ...east(BENGALURU, 2) })).id as string,
      (await newWarehouse(a.id, { ...east(BENGALURU, 60) })).id as string,
    ];
    const sizeM = await newSku(a.id, product.id, { title: "Shirt M", price: inr(50_000) });
    const sizeL = await newSku(a.id, product.id, { title: "Shirt L", price: inr(50_000) });
    for (const [sku, wh, onHand] of [
      [sizeM.id, w1, 1],
      [sizeL.id, w1, 5],
      [sizeL.id, w2, 5],
    ] as const) {
      const r = await api("PUT", `/v1/skus/${sku}/stock`, {
        token: ADMIN,
        body: { warehouseId: wh, onHand, reason: "count" },
      });
      expect(r.status).toBe(200);
    }
    // Another vendor sells the product in size L only (L's GTIN), near the shopper.
    const b = await offer({
      productId: product.id,
      barcode: sizeL.barcode,
      warehouses: [{ at: east(BENGALURU, 1), onHand: 5 }],
    });
    const shopper = await newCustomer();
    const placed = await order(shopper.token, [
      { skuId: sizeM.id, qty: 1 },
      { skuId: sizeL.id, qty: 1 },
    ]);
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    await pay(shopper.token, placed.body.payment.id);
    const sub = placed.body.order.subOrders[0];
    const lineM = sub.lines.find((l: any) => l.skuId === sizeM.id);
    expect(lineM.warehouseId).toBe(w1);
    const ops = await tokenFor("ops");
    const before = await api("GET", `/v1/orders/${placed.body.order.id}`, { token: ops });

    const onlyM = await reassign(ops, sub.id, {
      lines: [{ lineId: lineM.id }],
      target: { warehouseId: w2 },
      reason: "W1 flooded",
    });
    expect([onlyM.status, onlyM.body.code]).toEqual([409, "OUT_OF_STOCK"]);
    expect(onlyM.headers.get("content-type")).toContain("application/problem+json");
    const both = await reassign(ops, sub.id, { target: { warehouseId: w2 }, reason: "W1 flooded" });
    expect([both.status, both.body.code]).toEqual([409, "OUT_OF_STOCK"]);
    const toB = await reassign(ops, sub.id, {
      lines: [{ lineId: lineM.id }],
      target: { vendorId: b.vendorId },
      reason: "B has it",
    });
    expect([toB.status, toB.body.code]).toEqual([422, "VALIDATION_FAILED"]);
    const toL = await reassign(ops, sub.id, {
      lines: [{ lineId: lineM.id }],
      target: { skuId: b.skuId },
      reason: "B has it",
    });
    expect([toL.status, toL.body.code]).toEqual([422, "VALIDATION_FAILED"]);
    const anywhere = await reassign(ops, sub.id, { lines: [{ lineId: lineM.id }], target: {}, reason: "anywhere" });
    expect([anywhere.status, anywhere.body.code]).toEqual([409, "OUT_OF_STOCK"]);
    expect((await api("GET", `/v1/orders/${placed.body.order.id}`, { token: ops })).body).toEqual(before.body);
    expect(await reassignments(placed.body.order.id)).toEqual([]);

    // With an M at W2 both lines move, each as the size it is.
    const restocked = await api("PUT", `/v1/skus/${sizeM.id}/stock`, {
      token: ADMIN,
      body: { warehouseId: w2, onHand: 1, reason: "count" },
    });
    expect(restocked.status).toBe(200);
    const moved = await reassign(ops, sub.id, { target: { warehouseId: w2 }, reason: "W1 flooded" });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    const lines = moved.body.subOrders.flatMap((x: any) => x.lines.map((l: any) => [l.skuId, l.warehouseId, l.qty]));
    expect(lines.sort()).toEqual(
      [
        [sizeM.id, w2, 1],
        [sizeL.id, w2, 1],
      ].sort(),
    );
    // The L line may go to B (the same item); the M line may not.
    const lineL = moved.body.subOrders[0].lines.find((l: any) => l.skuId === sizeL.id);
    const toBL = await reassign(ops, sub.id, {
      lines: [{ lineId: lineL.id }],
      target: { vendorId: b.vendorId },
      reason: "B has it",
    });
    expect(toBL.status, JSON.stringify(toBL.body)).toBe(200);
    expect(toBL.body.subOrders.find((x: any) => x.vendorId === b.vendorId).lines.map((l: any) => l.skuId)).toEqual([
      b.skuId,
    ]);
    await expectStockEquation(sizeM.id);
    await expectStockEquation(sizeL.id);
  });

  it("never swaps a size between vendors that each list the product once, when another lists it in sizes", async () => {
    // A sells the product in M and L; X joined it with only M (M's GTIN), Y with only L (L's GTIN).
    const product = await newProduct();
    const a = await newVendor();
    const sizeM = await newSku(a.id, product.id, { title: "Shirt M" });
    await newSku(a.id, product.id, { title: "Shirt L" });
    const sizeL = await env.DB.prepare("select barcode from skus where product_id = ? and id != ?")
      .bind(product.id, sizeM.id)
      .first<{ barcode: string }>();
    const x = await offer({
      productId: product.id,
      barcode: sizeM.barcode,
      warehouses: [{ at: east(BENGALURU, 2), onHand: 5 }],
    });
    const y = await offer({
      productId: product.id,
      barcode: sizeL!.barcode,
      warehouses: [{ at: east(BENGALURU, 1), onHand: 5 }],
    });
    const shopper = await newCustomer();
    const placed = await order(shopper.token, [{ skuId: x.skuId, qty: 1 }]);
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    await pay(shopper.token, placed.body.payment.id);
    const sub = placed.body.order.subOrders[0];
    const ops = await tokenFor("ops");

    const toY = await reassign(ops, sub.id, { target: { vendorId: y.vendorId }, reason: "Y is nearer" });
    expect([toY.status, toY.body.code]).toEqual([422, "VALIDATION_FAILED"]);
    expect(toY.body.detail).toContain("does not sell the variant bought");
    const toYsSku = await reassign(ops, sub.id, { target: { skuId: y.skuId }, reason: "Y is nearer" });
    expect([toYsSku.status, toYsSku.body.code]).toEqual([422, "VALIDATION_FAILED"]);
    const anywhere = await reassign(ops, sub.id, { target: {}, reason: "anywhere" });
    expect([anywhere.status, anywhere.body.code]).toEqual([409, "OUT_OF_STOCK"]);
    const after = await api("GET", `/v1/orders/${placed.body.order.id}`, { token: ops });
    expect(after.body.subOrders.flatMap((s: any) => s.lines.map((l: any) => l.skuId))).toEqual([x.skuId]);
    expect(await reassignments(placed.body.order.id)).toEqual([]);
  });

  it("moves once per Idempotency-Key: a retry moves nothing again, and a move without a key is refused", async () => {
    const s = await stockedSku({
      warehouses: [
        { at: east(BENGALURU, 2), onHand: 10 },
        { at: east(BENGALURU, 80), onHand: 10 },
      ],
    });
    const [w1, w2] = s.warehouseIds as [string, string];
    const shopper = await newCustomer();
    const placed = await order(shopper.token, [{ skuId: s.skuId, qty: 6 }]);
    await pay(shopper.token, placed.body.payment.id);
    const sub = placed.body.order.subOrders[0];
    const ops = await tokenFor("ops");
    const body = { lines: [{ lineId: sub.lines[0].id, qty: 2 }], target: { warehouseId: w2 }, reason: "part of it" };
    const placedAt = async () =>
      (await api("GET", `/v1/orders/${placed.body.order.id}`, { token: ops })).body.subOrders
        .flatMap((x: any) => x.lines.map((l: any) => [l.warehouseId, l.qty]))
        .sort();
    const before = await api("GET", `/v1/orders/${placed.body.order.id}`, { token: ops });

    const doc = (await api("GET", "/v1/openapi.json")).body;
    for (const path of ["/sub-orders/{id}/reassign", "/sub-orders/bulk"]) {
      const op = Object.entries(doc.paths as Record<string, any>).find(([p]) => p.endsWith(path))?.[1]?.post;
      expect(
        op.parameters.map((p: any) => [p.in, p.name]),
        path,
      ).toContainEqual(["header", "idempotency-key"]);
    }
    const noKey = await reassign(ops, sub.id, body, null);
    expect([noKey.status, noKey.body.code]).toEqual([400, "IDEMPOTENCY_KEY_REQUIRED"]);
    expect(noKey.headers.get("content-type")).toContain("application/problem+json");
    expect((await api("GET", `/v1/orders/${placed.body.order.id}`, { token: ops })).body).toEqual(before.body);
    expect(await reassignments(placed.body.order.id)).toEqual([]);

    const key = uid("ra-");
    const first = await reassign(ops, sub.id, body, key);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const again = await reassign(ops, sub.id, body, key);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(await placedAt()).toEqual(
      [
        [w1, 4],
        [w2, 2],
      ].sort(),
    );
    // The key's stored answer gone (it is freed when an attempt fails once landed): still moved once.
    await env.DB.prepare("delete from idempotency_keys where key = ?").bind(key).run();
    const late = await reassign(ops, sub.id, body, key);
    expect(late.status, JSON.stringify(late.body)).toBe(200);
    expect(await placedAt()).toEqual(
      [
        [w1, 4],
        [w2, 2],
      ].sort(),
    );
    expect(await reassignments(placed.body.order.id)).toHaveLength(1);
    // Another key is another move.
    expect((await reassign(ops, sub.id, body, uid("ra-"))).status).toBe(200);
    expect(await placedAt()).toEqual(
      [
        [w1, 2],
        [w2, 4],
      ].sort(),
    );
    const stock = await warehousesOf(s.skuId);
    expect([stock.get(w1)?.committed, stock.get(w2)?.committed]).toEqual([2, 4]);
    await expectStockEquation(s.skuId);
  });

  it("refuses before payment and once packed, and is for ops and admins only", async () => {
    const s = await stockedSku({
      warehouses: [
        { at: east(BENGALURU, 2), onHand: 5 },
        { at: east(BENGALURU, 50), onHand: 5 },
      ],
    });
    const barcode = (await api("GET", `/v1/skus/${s.skuId}`, { token: ADMIN })).body.barcode;
    const shopper = await newCustomer();
    const placed = await order(shopper.token, [{ skuId: s.skuId, qty: 1 }]);
    const sub = placed.body.order.subOrders[0];
    const body = { target: { warehouseId: s.warehouseIds[1] }, reason: "move" };
    const vendor = await tokenFor("vendor", { vendorId: s.vendorId });
    expect((await reassign(vendor, sub.id, body)).status).toBe(403);
    expect((await reassign(shopper.token, sub.id, body)).status).toBe(403);
    expect((await reassign(ADMIN, "sub_nope", body)).status).toBe(404);
    const unpaid = await reassign(ADMIN, sub.id, body);
    expect([unpaid.status, unpaid.body.code]).toEqual([409, "ILLEGAL_TRANSITION"]);

    await pay(shopper.token, placed.body.payment.id);
    expect((await api("POST", `/v1/sub-orders/${sub.id}/confirm`, { token: vendor })).status).toBe(200);
    const packed = await api("POST", `/v1/sub-orders/${sub.id}/pack`, { token: vendor, body: { scanned: [barcode] } });
    expect(packed.status).toBe(200);
    const late = await reassign(ADMIN, sub.id, body);
    expect(late.status).toBe(409);
    expect(late.body.code).toBe("ILLEGAL_TRANSITION");
    expect((await stockOf(s.skuId)).warehouses.find((w) => w.warehouseId === s.warehouseIds[0])?.committed).toBe(1);
  });
});
