import { z } from "@hono/zod-openapi";
import { cancelOrder } from "../../cancellation/order-cancellation";
import { Id, json, jsonBody, problemResponses } from "../../contracts/common";
import {
  type OrderPaymentStatus,
  type OrderStatus,
  orderStatuses,
  type SubOrderStatus,
} from "../../contracts/order-status";
import {
  CancelOrder,
  OrderCounts,
  OrderCountsQuery,
  OrderListQuery,
  OrderPage,
  OrderView,
  PaymentView,
} from "../../contracts/orders";
import { database } from "../../db/client";
import { countOrders, listOrders, loadOrder, loadOrderState, warehouseVendor } from "../../db/orders";
import { actorOf, type Principal } from "../../domain/principal";
import { isoSeconds } from "../../domain/time";
import { keepCancellationNote, withCancellationNotes } from "../../orders/cancellation-notes";
import { creditNotesFor, orderViewFor, shownToShopper } from "../../orders/view";
import { config } from "../../platform/config";
import { requireRole } from "../auth";
import { router } from "../context";
import { ApiError } from "../errors";
import { defineRoute } from "../route";
import { pageStart } from "../scope";

const OrderParams = z.object({ orderId: Id });

const get = defineRoute({
  method: "get",
  path: "/orders/{orderId}",
  access: ["admin", "ops", "vendor", "customer"],
  summary: "Read an order with its sub-orders and timeline",
  description:
    "A customer reads its own orders; a vendor only its own sub-orders (no parent total), and an order held for review is 404 to it. The review note is for ops and admins.",
  request: { params: OrderParams },
  responses: { 200: json(OrderView, "The order"), ...problemResponses },
});

const list = defineRoute({
  method: "get",
  path: "/orders",
  access: ["admin", "ops", "vendor", "customer"],
  summary: "List orders, newest first by default",
  description: "A customer lists its own orders; a vendor the orders with its sub-orders, none held for review.",
  request: { query: OrderListQuery },
  responses: { 200: json(OrderPage, "A page of orders"), ...problemResponses },
});

const cancel = defineRoute({
  method: "post",
  path: "/orders/{orderId}/cancel",
  access: ["admin", "ops", "customer"],
  summary: "Cancel an order before any of it is dispatched",
  description:
    "Unpaid: the payment is cancelled and the holds released. Paid: stock is released and the payment refunded. The reason is a code from a fixed list; free text goes in `note`, which only ops and admins read.",
  request: { params: OrderParams, ...jsonBody(CancelOrder) },
  responses: { 200: json(OrderView, "The cancelled order"), ...problemResponses },
});

const counts = defineRoute({
  method: "get",
  path: "/orders/counts",
  access: ["admin", "ops"],
  summary: "How many orders match a filter, by status",
  description:
    "The figures above the ops orders table. Counted with the same filters as the list (but status) and kept for 5 s per filter, so a dashboard full of people does not recount a large table each time; `countedAt` says how old they are.",
  request: { query: OrderCountsQuery },
  responses: { 200: json(OrderCounts, "Counts by status"), ...problemResponses },
});

const payment = defineRoute({
  method: "get",
  path: "/orders/{orderId}/payment",
  access: ["admin", "ops", "customer"],
  summary: "Read an unpaid order's payment again, to pay it",
  description:
    "The payment object checkout's 201 carried (Stripe's client secret and publishable key, or the simulator's payment id), for as long as the order awaits payment: a shopper who closed the payment panel pays from My orders. A failed attempt is still `requires_payment` (the shopper may retry). A paid or cancelled order is 409 CONFLICT with `orderStatus` and `paymentStatus`, and no secret. Another customer's order is 404.",
  request: { params: OrderParams },
  responses: { 200: json(PaymentView, "The payment to complete"), ...problemResponses },
});

const COUNTS_TTL_SECONDS = 5;

async function visibleOrder(env: Env, orderId: string, who: Principal) {
  const agg = await loadOrder(database(env), orderId, { names: true });
  const view = agg ? orderViewFor(agg, who) : null;
  if (!agg || !view) throw new ApiError("NOT_FOUND", "No such order");
  const creditNotes = creditNotesFor(agg, who, config(env).financialYear);
  return withCancellationNotes(env, { ...view, creditNotes }, who);
}

export const orders = router()
  // Before /orders/{orderId}, which would otherwise take "counts" for an id.
  .openapi(counts, async (c) => {
    requireRole(c, "admin", "ops");
    const q = c.req.valid("query");
    const key = new URL("https://order-counts.internal/");
    for (const k of ["vendorId", "warehouseId", "from", "to"] as const) if (q[k]) key.searchParams.set(k, q[k]);
    if (q.held !== undefined) key.searchParams.set("held", String(q.held));
    const cache = await caches.open("order-counts");
    const hit = await cache.match(key);
    if (hit) return c.json((await hit.json()) as z.infer<typeof OrderCounts>, 200);
    const rows = await countOrders(database(c.env), q);
    const byStatus = Object.fromEntries(orderStatuses.map((s) => [s, 0])) as Record<OrderStatus, number>;
    for (const r of rows) byStatus[r.status as OrderStatus] = r.count;
    const body = {
      counts: byStatus,
      total: rows.reduce((n, r) => n + r.count, 0),
      countedAt: isoSeconds(new Date()),
    };
    c.executionCtx.waitUntil(
      cache.put(key, Response.json(body, { headers: { "cache-control": `max-age=${COUNTS_TTL_SECONDS}` } })),
    );
    return c.json(body, 200);
  })
  .openapi(get, async (c) => {
    const who = requireRole(c, "admin", "ops", "vendor", "customer");
    return c.json(await visibleOrder(c.env, c.req.valid("param").orderId, who), 200);
  })
  .openapi(payment, async (c) => {
    const who = requireRole(c, "admin", "ops", "customer");
    const { orderId } = c.req.valid("param");
    const state = await loadOrderState(database(c.env), orderId);
    if (!state || (who.role === "customer" && state.order.customerId !== who.customerId)) {
      throw new ApiError("NOT_FOUND", "No such order");
    }
    const { order, payment: row } = state;
    // A failed attempt leaves the intent open (Stripe's returns to requires_payment_method); a
    // succeeded or canceled one has nothing left to pay, whatever the order's row says yet.
    if (order.status !== "pending_payment" || !row || (row.status !== "requires_payment" && row.status !== "failed")) {
      throw new ApiError(
        "CONFLICT",
        order.status === "cancelled" || row?.status === "canceled"
          ? "The order is cancelled: there is nothing to pay"
          : "The order is already paid",
        { orderStatus: order.status, paymentStatus: order.paymentStatus },
      );
    }
    const publishableKey = config(c.env).stripePublishableKey;
    // The same object checkout's 201 answers (src/checkout/placed-order.ts).
    return c.json(
      {
        provider: row.provider,
        id: row.id,
        status: "requires_payment" as const,
        ...(row.clientSecret ? { clientSecret: row.clientSecret } : {}),
        ...(row.provider === "stripe" && publishableKey ? { publishableKey } : {}),
        holdExpiresAt: order.holdExpiresAt,
      },
      200,
    );
  })
  .openapi(list, async (c) => {
    const who = requireRole(c, "admin", "ops", "vendor", "customer");
    const q = c.req.valid("query");
    const db = database(c.env);
    const after = pageStart(q.cursor);
    let vendorId = q.vendorId;
    if (who.role === "vendor") {
      if (vendorId && vendorId !== who.vendorId) throw new ApiError("NOT_FOUND", "No such vendor");
      if (q.warehouseId && (await warehouseVendor(db, q.warehouseId)) !== who.vendorId) {
        throw new ApiError("NOT_FOUND", "No such warehouse");
      }
      vendorId = who.vendorId;
    }
    const page = await listOrders(db, {
      customerId: who.role === "customer" ? who.customerId : undefined,
      vendorId,
      warehouseId: q.warehouseId,
      status: q.status,
      from: q.from,
      to: q.to,
      held: q.held,
      hideHeld: who.role === "vendor",
      ascending: q.sort === "createdAt",
      after,
      limit: q.limit,
    });
    return c.json(
      {
        items: page.items.map((o) => {
          const money = (amountMinor: number) => ({ amountMinor, currency: o.currency });
          return {
            id: o.id,
            status: o.status as OrderStatus,
            paymentStatus: o.paymentStatus as OrderPaymentStatus,
            customerId: o.customerId,
            ...(who.role === "vendor" ? {} : { total: money(o.totalMinor), held: o.reviewHeld }),
            createdAt: o.createdAt,
            subOrders: (who.role === "customer" ? shownToShopper(o.subOrders) : o.subOrders)
              .filter((s) => who.role !== "vendor" || s.vendorId === who.vendorId)
              .map((s) => ({
                id: s.id,
                vendorId: s.vendorId,
                ...(s.vendorName !== null ? { vendorName: s.vendorName } : {}),
                status: s.status as SubOrderStatus,
                total: money(s.totalMinor),
              })),
          };
        }),
        nextCursor: page.nextCursor,
      },
      200,
    );
  })
  .openapi(cancel, async (c) => {
    const who = requireRole(c, "admin", "ops", "customer");
    const { orderId } = c.req.valid("param");
    await visibleOrder(c.env, orderId, who);
    const { reason, note } = c.req.valid("json");
    const actor = actorOf(who);
    const now = new Date();
    // Only the reason code travels with the cancellation (events, messages, vendors' views).
    const outcome = await cancelOrder(c.env, c.executionCtx, { orderId, reason, actor, now });
    if (!outcome.ok) {
      throw new ApiError(
        outcome.code,
        outcome.detail,
        outcome.code === "ILLEGAL_TRANSITION" ? { allowed: outcome.allowed } : {},
      );
    }
    if (note !== undefined) await keepCancellationNote(c.env, orderId, { actor, reason, note, now });
    return c.json(await visibleOrder(c.env, orderId, who), 200);
  });
