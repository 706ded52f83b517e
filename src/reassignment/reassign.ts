import { eq, sql } from "drizzle-orm";
import type { SubOrderStatus } from "../contracts/order-status";
import { database, runBatch, type Statement } from "../db/client";
import { insertEvent, insertOutbox, type LineItemRow, type SubOrderRow } from "../db/orders";
import { countReassignments, findReassignment, insertReassignment, offersByIds, warehouseSites } from "../db/routing";
import { lineItems, orders, subOrders } from "../db/schema";
import { sha256Hex } from "../domain/crypto";
import { newId } from "../domain/ids";
import { basisPointsOf, sumMinor } from "../domain/money";
import { deriveOrderStatus } from "../domain/order-status";
import type { Actor } from "../domain/principal";
import { perVendor, type ShipmentItem, shipmentsOf } from "../domain/routing/shipments";
import { allowedFrom } from "../domain/sub-order-lifecycle";
import { addSeconds, isoSeconds } from "../domain/time";
import { visibleSubOrder } from "../fulfillment/fulfillment";
import { dispatchOutbox } from "../gateways/order-events";
import { type ReallocateRequest, type ReallocateResult, stockObject } from "../gateways/stock";
import { REASSIGNED } from "../orders/view";
import { type Background, finishLater } from "../platform/background";
import { routingModel } from "../routing/model";
import { type MovedUnits, type OverridePlan, planOverride } from "./override";

export type ReassignOutcome =
  | { ok: true; orderId: string }
  | {
      ok: false;
      code: "NOT_FOUND" | "ILLEGAL_TRANSITION" | "OUT_OF_STOCK" | "VALIDATION_FAILED";
      detail: string;
      allowed?: string[];
    };

/** Lines move only before they are packed: after that the parcel exists. */
const MOVABLE: readonly SubOrderStatus[] = ["pending_payment", "paid", "confirmed"];

type Piece = { move: MovedUnits; skuId: string; warehouseId: string; qty: number };
type Done = { skuId: string; result: Extract<ReallocateResult, { ok: true }> };

/**
 * Ops moves a sub-order's lines (or part of one) to another warehouse or another vendor's offer
 * of the same product, before packing. The shopper's price never changes: a different offer price
 * and any change in shipping cost are recorded against the platform (`reassignments`).
 *
 * Stock: one order holds every SKU under its one hold id. Per SKU one `reallocate` call, all or
 * nothing inside its object; SKUs that gain units go first, SKUs that only lose units after, and
 * if anything fails what was done is undone, so a refusal leaves the holds as they were. Each call
 * is keyed to (the order's reassignment count, the request), so a retry repeats nothing.
 *
 * D1: one batch re-splits the sub-orders (merged into the target vendor's if it has one; the
 * source itself changes vendor when all of it moves to a vendor new to the order; an emptied
 * source is closed as `reassigned`), rewrites the line items, records the reassignment and the
 * timeline (who, what, why). The batch is guarded: it fails as a whole if another reassignment
 * of the order landed first or either sub-order changed status meanwhile.
 */
export async function reassignSubOrder(
  env: Env,
  ctx: Background | undefined,
  input: {
    subOrderId: string;
    lines?: { lineId: string; qty?: number }[];
    target:
      | { warehouseId: string }
      | { skuId: string; warehouseId?: string }
      | { vendorId?: string; warehouseId?: string };
    reason: string;
    actor: Actor;
    now: Date;
  },
): Promise<ReassignOutcome> {
  const db = database(env);
  const found = await visibleSubOrder(env, input.subOrderId, "system");
  if (!found) return { ok: false, code: "NOT_FOUND", detail: "No such sub-order" };
  const { agg, sub } = found;
  const { order } = agg;
  const status = sub.status as SubOrderStatus;
  if (!MOVABLE.includes(status)) {
    return {
      ok: false,
      code: "ILLEGAL_TRANSITION",
      detail: `A ${status} sub-order can no longer be reassigned: lines move only before packing`,
      allowed: allowedFrom(status),
    };
  }

  const own = agg.lines.filter((l) => l.subOrderId === sub.id);
  const moves: MovedUnits[] = [];
  const asked: { lineId: string; qty?: number }[] = input.lines ?? own.map((l) => ({ lineId: l.id }));
  for (const [i, l] of asked.entries()) {
    const item = own.find((x) => x.id === l.lineId);
    if (!item) return invalid(`lines.${i}.lineId: not a line of this sub-order`);
    if (moves.some((m) => m.lineItemId === item.id)) return invalid(`lines.${i}.lineId: named twice`);
    const qty = l.qty ?? item.qty;
    if (qty > item.qty) return invalid(`lines.${i}.qty: the line holds ${item.qty}`);
    moves.push({
      lineItemId: item.id,
      lineIndex: item.lineIndex,
      skuId: item.skuId,
      warehouseId: item.warehouseId,
      qty,
    });
  }
  if (moves.length === 0) return invalid("lines: this sub-order has nothing to move");

  const target = input.target as { skuId?: string; vendorId?: string; warehouseId?: string };
  const planned = await planOverride(env, db, {
    moves,
    target,
    shipTo: { lat: order.shipLat, lng: order.shipLng },
    now: input.now,
    inOrder: new Set(agg.subOrders.filter((s) => s.status !== "cancelled").map((s) => s.vendorId)),
  });
  if (!planned.ok) {
    const detail =
      planned.code === "VALIDATION_FAILED"
        ? planned.errors.map((e) => `${e.path}: ${e.message}`).join("; ")
        : planned.detail;
    return { ok: false, code: planned.code, detail };
  }
  const plan = planned.value;
  const toVendor = plan.vendorId;

  const emptied = own.every((l) => moves.some((m) => m.lineItemId === l.id && m.qty === l.qty));
  const existing = agg.subOrders.find((s) => s.vendorId === toVendor && s.id !== sub.id);
  let mode: "same" | "merge" | "revive" | "revendor" | "new";
  if (toVendor === sub.vendorId) mode = "same";
  else if (existing) {
    if (MOVABLE.includes(existing.status as SubOrderStatus)) mode = "merge";
    else if (existing.status === "cancelled" && existing.cancellationReason === REASSIGNED) mode = "revive";
    else {
      return {
        ok: false,
        code: "ILLEGAL_TRANSITION",
        detail: `Vendor ${toVendor}'s sub-order of this order is ${existing.status}; lines cannot join it`,
        allowed: [],
      };
    }
  } else mode = emptied ? "revendor" : "new";

  const n = await countReassignments(db, order.id);
  const reassignmentId = `ra_${order.id.replace(/^ord_/, "")}_${n + 1}`;
  const requestHash = (
    await sha256Hex(JSON.stringify([sub.id, moves.map((m) => [m.lineItemId, m.qty]), target, input.reason]))
  ).slice(0, 16);
  const keyOf = (skuId: string, suffix = "") => `${reassignmentId}:${requestHash}:${skuId}${suffix}`;

  // ---- stock: gains first, losses after, undone on any refusal -------------------------------
  const takes = new Map<string, Map<string, number>>();
  for (const m of moves) {
    const bySite = takes.get(m.skuId) ?? new Map<string, number>();
    bySite.set(m.warehouseId, (bySite.get(m.warehouseId) ?? 0) + m.qty);
    takes.set(m.skuId, bySite);
  }
  const adds = new Map(plan.plan.reservations.map((r) => [r.skuId, { qty: r.qty, warehouses: r.warehouses }]));
  const base = {
    holdId: order.holdId,
    status: (order.status === "pending_payment" ? "held" : "committed") as "held" | "committed",
    expiresAt: Date.parse(order.holdExpiresAt),
    customerId: order.customerId,
    reason: `reassigned: ${input.reason}`.slice(0, 200),
    actor: `${input.actor.role}:${input.actor.id ?? ""}`,
  };
  const callFor = (skuId: string): ReallocateRequest => {
    const take = takes.get(skuId);
    const add = adds.get(skuId);
    return {
      ...base,
      skuId,
      ...(take ? { take: [...take].map(([warehouseId, qty]) => ({ warehouseId, qty })) } : {}),
      ...(add ? { add: [add] } : {}),
      key: keyOf(skuId),
    };
  };
  const done: Done[] = [];
  const undo = async () => {
    await Promise.all(
      done.map(async ({ skuId, result }) => {
        const back = await stockObject(env, skuId).reallocate({
          ...base,
          skuId,
          take: result.added,
          add: result.taken.map((t) => ({ qty: t.qty, warehouses: [t.warehouseId] })),
          reason: "reassignment_undone",
          key: keyOf(skuId, ":undo"),
        });
        // Units given back in the same step may have been sold meanwhile: say so loudly, never throw.
        if (!back.ok)
          console.error(JSON.stringify({ msg: "reassignment undo failed", skuId, holdId: order.holdId, back }));
      }),
    );
  };
  const run = async (skuIds: string[]) => {
    const settled = await Promise.allSettled(skuIds.map((id) => stockObject(env, id).reallocate(callFor(id))));
    let refusal: Exclude<ReallocateResult, { ok: true }> | undefined;
    let failure: unknown;
    settled.forEach((s, i) => {
      if (s.status === "rejected") failure ??= s.reason;
      else if (s.value.ok) done.push({ skuId: skuIds[i]!, result: s.value });
      else refusal ??= s.value;
    });
    if (failure !== undefined) {
      await undo();
      throw failure;
    }
    return refusal;
  };
  const gaining = [...adds.keys()].sort();
  const losing = [...takes.keys()].filter((id) => !adds.has(id)).sort();
  const refusedGain = await run(gaining);
  if (refusedGain) {
    await undo();
    return refusedGain.code === "OUT_OF_STOCK"
      ? {
          ok: false,
          code: "OUT_OF_STOCK",
          detail: `The target holds ${refusedGain.available} of the ${refusedGain.requested} units needed; nothing was moved`,
        }
      : { ok: false, code: "ILLEGAL_TRANSITION", detail: "This order's hold no longer has these units", allowed: [] };
  }
  const refusedLoss = await run(losing);
  if (refusedLoss) {
    await undo();
    return {
      ok: false,
      code: "ILLEGAL_TRANSITION",
      detail: "This order's hold no longer has these units",
      allowed: [],
    };
  }

  // ---- D1: what moved where, priced ----------------------------------------------------------
  const pieces = piecesOf(moves, plan, done);
  const at = isoSeconds(input.now);
  const built = await buildStatements(env, { agg: found.agg, sub, mode, existing, plan, pieces, moves, input, at });
  const statements: Statement[] = [
    // Guard first: NOT NULL fails the whole batch if either sub-order left the status seen above.
    db
      .update(orders)
      .set({
        updatedAt: sql`case when (select ${subOrders.status} from ${subOrders} where ${subOrders.id} = ${sub.id}) = ${sub.status}
          and (${existing?.id ?? null} is null or (select ${subOrders.status} from ${subOrders} where ${subOrders.id} = ${existing?.id ?? null}) = ${existing?.status ?? null})
          then ${at} end`,
      })
      .where(eq(orders.id, order.id)),
    ...built.statements,
    insertReassignment(db, {
      id: reassignmentId,
      orderId: order.id,
      fromSubOrderId: sub.id,
      toSubOrderId: built.toSubOrderId,
      moves: { requestHash, target, mode, moves: built.moved },
      platformCostMinor: built.platformCostMinor,
      currency: order.currency,
      actorRole: input.actor.role,
      actorId: input.actor.id,
      reason: input.reason,
      createdAt: at,
    }),
    insertEvent(db, {
      orderId: order.id,
      subOrderId: sub.id,
      type: "sub_order.reassigned",
      at,
      actorRole: input.actor.role,
      actorId: input.actor.id,
      reason: input.reason,
      data: {
        toSubOrderId: built.toSubOrderId,
        fromVendorId: sub.vendorId,
        toVendorId: toVendor,
        moves: built.moved,
        platformCostMinor: built.platformCostMinor,
      },
      dedupeKey: `sub_order.reassigned:${reassignmentId}`,
    }),
    ...(built.toSubOrderId !== sub.id
      ? [
          insertEvent(db, {
            orderId: order.id,
            subOrderId: built.toSubOrderId,
            type: "sub_order.reassigned_in",
            at,
            actorRole: input.actor.role,
            actorId: input.actor.id,
            reason: input.reason,
            data: { fromSubOrderId: sub.id, fromVendorId: sub.vendorId, moves: built.moved },
            dedupeKey: `sub_order.reassigned_in:${reassignmentId}`,
          }),
        ]
      : []),
    insertOutbox(db, {
      type: "sub_order.reassigned",
      orderId: order.id,
      payload: {
        orderId: order.id,
        subOrderId: sub.id,
        vendorId: sub.vendorId,
        toSubOrderId: built.toSubOrderId,
        toVendorId: toVendor,
        moves: built.moved,
      },
      dedupeKey: `sub_order.reassigned:${reassignmentId}`,
      createdAt: at,
    }),
  ];
  try {
    await runBatch(db, statements);
  } catch (err) {
    const text = errorText(err);
    if (/UNIQUE constraint failed: reassignments\.id/i.test(text)) {
      const landed = await findReassignment(db, reassignmentId);
      // The same request, sent twice at once: its stock calls were the same keyed calls, so it is done.
      if ((landed?.moves as { requestHash?: string } | undefined)?.requestHash === requestHash) {
        return { ok: true, orderId: order.id };
      }
      await undo();
      return {
        ok: false,
        code: "ILLEGAL_TRANSITION",
        detail: "Another reassignment of this order landed first; nothing was moved by this one",
        allowed: [],
      };
    }
    await undo();
    if (/NOT NULL constraint failed: orders\.updated_at/i.test(text)) {
      return {
        ok: false,
        code: "ILLEGAL_TRANSITION",
        detail: "The sub-order changed meanwhile (packed, cancelled or moved); nothing was moved",
        allowed: [],
      };
    }
    throw err;
  }
  await finishLater(ctx, dispatchOutbox(env, [`sub_order.reassigned:${reassignmentId}`], input.now));
  return { ok: true, orderId: order.id };
}

function invalid(detail: string): ReassignOutcome {
  return { ok: false, code: "VALIDATION_FAILED", detail };
}

function errorText(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e instanceof Error; e = e.cause) parts.push(e.message);
  return parts.join(" | ") || String(err);
}

/**
 * Hands the units the stock objects actually added to the moved line items, product by product in
 * plan order: where the stock went is what the line items say, whatever the plan expected.
 */
function piecesOf(moves: readonly MovedUnits[], plan: OverridePlan, done: readonly Done[]): Piece[] {
  const added = new Map(done.map((d) => [d.skuId, d.result.added.map((a) => ({ ...a }))]));
  const pieces: Piece[] = [];
  for (const d of plan.plan.lines) {
    const queue = [...new Set(d.allocations.map((a) => a.skuId))].flatMap((skuId) =>
      (added.get(skuId) ?? []).map((a) => ({ skuId, ...a })),
    );
    for (const move of moves.filter((m) => plan.productOf.get(m.skuId) === d.productId)) {
      let left = move.qty;
      for (const q of queue) {
        if (left === 0) break;
        const take = Math.min(left, q.qty);
        if (take === 0) continue;
        pieces.push({ move, skuId: q.skuId, warehouseId: q.warehouseId, qty: take });
        q.qty -= take;
        left -= take;
      }
      if (left > 0) throw new Error(`reassignment: ${left} units of ${move.lineItemId} were not placed`);
    }
  }
  return pieces;
}

type BuildInput = {
  agg: NonNullable<Awaited<ReturnType<typeof visibleSubOrder>>>["agg"];
  sub: SubOrderRow;
  mode: "same" | "merge" | "revive" | "revendor" | "new";
  existing: SubOrderRow | undefined;
  plan: OverridePlan;
  pieces: Piece[];
  moves: MovedUnits[];
  input: { reason: string; now: Date };
  at: string;
};

/** The rows after the move: line items rewritten, sub-orders re-split and re-totalled, the parent's status. */
async function buildStatements(env: Env, b: BuildInput) {
  const db = database(env);
  const { agg, sub, plan, at } = b;
  const { order } = agg;
  const toVendor = plan.vendorId;
  const terms = [...plan.offers.values()].find((o) => o.vendorId === toVendor)!;
  const stage: SubOrderStatus = order.status === "pending_payment" ? "pending_payment" : "paid";
  const slaDispatchBy =
    stage === "paid" && !order.reviewHeld ? isoSeconds(addSeconds(b.input.now, terms.dispatchSlaHours * 3600)) : null;

  // Sub-orders after the move (the target may be new, revived, the source itself or another one).
  const subs = new Map(agg.subOrders.map((s) => [s.id, { ...s }]));
  let target: SubOrderRow;
  if (b.mode === "same") target = subs.get(sub.id)!;
  else if (b.mode === "merge") target = subs.get(b.existing!.id)!;
  else if (b.mode === "revive" || b.mode === "revendor") {
    target = subs.get(b.mode === "revive" ? b.existing!.id : sub.id)!;
    Object.assign(target, {
      vendorId: toVendor,
      status: stage,
      commissionBps: terms.commissionBps,
      slaDispatchBy,
      cancellationReason: null,
      cancelledAt: null,
      confirmedAt: null,
      nudgedAt: null,
      updatedAt: at,
    });
  } else {
    target = {
      ...sub,
      id: newId("sub"),
      vendorId: toVendor,
      status: stage,
      subtotalMinor: 0,
      shippingMinor: 0,
      totalMinor: 0,
      commissionBps: terms.commissionBps,
      commissionMinor: 0,
      slaDispatchBy,
      promisedDeliveryBy: null,
      confirmedAt: null,
      packedAt: null,
      dispatchedAt: null,
      deliveredAt: null,
      returnedAt: null,
      cancelledAt: null,
      nudgedAt: null,
      photoKey: null,
      carrier: null,
      awb: null,
      cancellationReason: null,
      createdAt: at,
      updatedAt: at,
    };
    subs.set(target.id, target);
  }

  // Line items after the move: the moved units leave their items and join (or start) the target's.
  const items = new Map<string, LineItemRow>(agg.lines.map((l) => [l.id, { ...l }]));
  const created = new Set<string>();
  for (const m of b.moves) items.get(m.lineItemId)!.qty -= m.qty;
  let priceDifference = 0;
  const moved: {
    lineId: string;
    skuId: string;
    fromWarehouseId: string;
    toSkuId: string;
    toWarehouseId: string;
    qty: number;
  }[] = [];
  for (const p of b.pieces) {
    const from = agg.lines.find((l) => l.id === p.move.lineItemId)!;
    const join = [...items.values()].find(
      (l) =>
        l.subOrderId === target.id &&
        l.lineIndex === from.lineIndex &&
        l.skuId === p.skuId &&
        l.warehouseId === p.warehouseId &&
        l.unitPriceMinor === from.unitPriceMinor,
    );
    if (join) join.qty += p.qty;
    else {
      const id = newId("li");
      created.add(id);
      items.set(id, {
        ...from,
        id,
        subOrderId: target.id,
        productId: p.skuId === from.skuId ? from.productId : (plan.productOf.get(from.skuId) ?? null),
        skuId: p.skuId,
        warehouseId: p.warehouseId,
        qty: p.qty,
        returnedQty: 0,
      });
    }
    if (p.skuId !== from.skuId) priceDifference += (plan.offers.get(p.skuId)!.priceMinor - from.unitPriceMinor) * p.qty;
    moved.push({
      lineId: from.id,
      skuId: from.skuId,
      fromWarehouseId: from.warehouseId,
      toSkuId: p.skuId,
      toWarehouseId: p.warehouseId,
      qty: p.qty,
    });
  }
  for (const l of items.values()) l.lineTotalMinor = l.qty * l.unitPriceMinor;

  const source = subs.get(sub.id)!;
  const sourceEmptied = target.id !== sub.id && ![...items.values()].some((l) => l.subOrderId === sub.id && l.qty > 0);
  if (sourceEmptied) {
    // The shopper paid this sub-order's shipping; it now travels with the lines it paid for.
    target.shippingMinor += source.shippingMinor;
    Object.assign(source, {
      status: "cancelled",
      cancellationReason: REASSIGNED,
      cancelledAt: at,
      shippingMinor: 0,
      updatedAt: at,
    });
  }
  for (const s of [source, target]) {
    s.subtotalMinor = sumMinor([...items.values()].filter((l) => l.subOrderId === s.id).map((l) => l.lineTotalMinor));
    s.totalMinor = s.subtotalMinor + s.shippingMinor;
    s.commissionMinor = basisPointsOf(s.subtotalMinor, s.commissionBps);
    s.updatedAt = at;
  }

  // Parcels before and after, by the rate cards: the promise is re-made, the cost difference recorded.
  const orderSkus = [...new Set([...items.values()].map((l) => l.skuId))];
  const [skuRows, sites, model] = await Promise.all([
    offersByIds(db, orderSkus),
    warehouseSites(
      db,
      [...items.values()].map((l) => l.warehouseId),
    ),
    routingModel(env, b.input.now),
  ]);
  const weight = new Map(skuRows.map((s) => [s.skuId, s.weightGrams]));
  const sla = new Map(skuRows.map((s) => [s.vendorId, s.dispatchSlaHours]));
  const site = new Map(sites.map((s) => [s.warehouseId, s]));
  const ctx = {
    now: b.input.now.getTime(),
    shipTo: { lat: order.shipLat, lng: order.shipLng },
    rates: model.rates,
    slaHours: (vendorId: string) => sla.get(vendorId) ?? 0,
    site: (warehouseId: string) => site.get(warehouseId)!,
  };
  const parcels = (lines: Iterable<LineItemRow>, subOf: Map<string, SubOrderRow>) =>
    shipmentsOf(
      ctx,
      [...lines].flatMap((l): ShipmentItem[] => {
        const s = subOf.get(l.subOrderId);
        if (!s || s.status === "cancelled" || l.qty === 0) return [];
        return [
          {
            lineIndex: l.lineIndex,
            skuId: l.skuId,
            vendorId: s.vendorId,
            warehouseId: l.warehouseId,
            qty: l.qty,
            unitPriceMinor: l.unitPriceMinor,
            weightGrams: weight.get(l.skuId) ?? 500,
          },
        ];
      }),
    );
  const before = parcels(agg.lines, new Map(agg.subOrders.map((s) => [s.id, s])));
  const after = parcels(items.values(), subs);
  const platformCostMinor =
    priceDifference + sumMinor(after.map((s) => s.shippingMinor)) - sumMinor(before.map((s) => s.shippingMinor));
  const promises = perVendor(after);
  for (const s of [source, target]) {
    const p = promises.get(s.vendorId);
    if (p && s.status !== "cancelled") s.promisedDeliveryBy = isoSeconds(p.deliveryBy);
  }

  const statements: Statement[] = [];
  if (b.mode === "new") statements.push(db.insert(subOrders).values(target));
  for (const s of new Set([source, target])) {
    if (b.mode === "new" && s === target) continue;
    const { id, orderId: _o, createdAt: _c, ...changes } = s;
    statements.push(db.update(subOrders).set(changes).where(eq(subOrders.id, id)));
  }
  for (const l of items.values()) {
    if (created.has(l.id)) statements.push(db.insert(lineItems).values(l));
    else {
      const was = agg.lines.find((x) => x.id === l.id)!;
      if (l.qty === 0) statements.push(db.delete(lineItems).where(eq(lineItems.id, l.id)));
      else if (l.qty !== was.qty) {
        statements.push(
          db.update(lineItems).set({ qty: l.qty, lineTotalMinor: l.lineTotalMinor }).where(eq(lineItems.id, l.id)),
        );
      }
    }
  }
  const statuses = [...subs.values()]
    .filter((s) => !(s.status === "cancelled" && s.cancellationReason === REASSIGNED))
    .map((s) => s.status as SubOrderStatus);
  statements.push(
    db
      .update(orders)
      .set({ status: deriveOrderStatus(statuses) })
      .where(eq(orders.id, order.id)),
  );
  return { statements, toSubOrderId: target.id, platformCostMinor, moved };
}
