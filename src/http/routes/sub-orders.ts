import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { Id, json, jsonBody, problemResponses, requiredKeyHeader } from "../../contracts/common";
import {
  AwbCorrectionBody,
  CancelSubOrderBody,
  DispatchBody,
  MilestoneBody,
  PackBody,
  ReturnBody,
  SubOrderDetail,
  SubOrderListQuery,
  SubOrderPage,
  UndeliveredBody,
} from "../../contracts/fulfillment";
import type { SubOrderStatus } from "../../contracts/order-status";
import type { OrderView } from "../../contracts/orders";
import { IdempotencyKeyHeader } from "../../contracts/stock";
import { database } from "../../db/client";
import { barcodesOf, listSubOrders } from "../../db/sub-orders";
import { actorOf, type Principal } from "../../domain/principal";
import { correctAwb } from "../../fulfillment/awb-correction";
import {
  type ActionInput,
  actOnSubOrder,
  type FulfillmentOutcome,
  recordMilestone,
  visibleSubOrder,
} from "../../fulfillment/fulfillment";
import { closeUndelivered } from "../../fulfillment/undelivered";
import { creditNotesFor, orderViewFor } from "../../orders/view";
import { config } from "../../platform/config";
import { returnSubOrder } from "../../returns/returns";
import { requireRole } from "../auth";
import type { AppEnv } from "../context";
import { router } from "../context";
import { ApiError, validationError } from "../errors";
import { idempotencyKeyOf } from "../idempotency";
import { defineRoute } from "../route";
import { pageStart } from "../scope";

const Params = z.object({ id: Id });
const actors = ["admin", "ops", "vendor"] as const;

const list = defineRoute({
  method: "get",
  path: "/sub-orders",
  access: [...actors],
  summary: "A vendor's queue of sub-orders, newest first or by dispatch deadline, or the one with an AWB",
  description:
    "A vendor sees only its own, and none of an order held for review. `sort=slaDispatchBy` is the work queue: earliest dispatch deadline first, every row reachable page by page. `awb` (with `carrier`, or of any carrier) finds the sub-orders labelled with it: the live parcel and any closed ones, among those the caller may see.",
  request: { query: SubOrderListQuery },
  responses: { 200: json(SubOrderPage, "A page of sub-orders"), ...problemResponses },
});

const get = defineRoute({
  method: "get",
  path: "/sub-orders/{id}",
  access: [...actors],
  summary: "A sub-order with its lines, where it ships and its timeline",
  request: { params: Params },
  responses: { 200: json(SubOrderDetail, "The sub-order"), ...problemResponses },
});

const STEP_NOTE =
  "409 ILLEGAL_TRANSITION with `allowed` when the sub-order is not in a status this step starts from; repeating a step already taken answers the sub-order unchanged (a dispatch again with another carrier or AWB is 409 CONFLICT).";

function step<B extends z.ZodType>(name: string, summary: string, body: B) {
  return defineRoute({
    method: "post",
    path: `/sub-orders/{id}/${name}`,
    access: [...actors],
    summary,
    description: STEP_NOTE,
    request: { params: Params, ...jsonBody(body) },
    responses: { 200: json(SubOrderDetail, "The sub-order after the step"), ...problemResponses },
  });
}

function bareStep(name: string, summary: string) {
  return defineRoute({
    method: "post",
    path: `/sub-orders/{id}/${name}`,
    access: [...actors],
    summary,
    description: STEP_NOTE,
    request: { params: Params },
    responses: { 200: json(SubOrderDetail, "The sub-order after the step"), ...problemResponses },
  });
}

async function detail(c: Context<AppEnv>, id: string, who: Principal) {
  const found = await visibleSubOrder(c.env, id, who, { names: true });
  if (!found) throw new ApiError("NOT_FOUND", "No such sub-order");
  const { agg, sub } = found;
  const view = orderViewFor(agg, who) as OrderView;
  const mine = view.subOrders.find((s) => s.id === id)!;
  const barcodes = await barcodesOf(
    database(c.env),
    mine.lines.map((l) => l.skuId),
  );
  return {
    id: sub.id,
    orderId: sub.orderId,
    vendorId: sub.vendorId,
    status: sub.status as SubOrderStatus,
    slaDispatchBy: sub.slaDispatchBy,
    carrier: sub.carrier,
    awb: sub.awb,
    cancellationReason: sub.cancellationReason,
    shipTo: view.shipTo,
    total: mine.total,
    lines: mine.lines.map((l) => ({ ...l, barcode: barcodes.get(l.skuId) ?? null })),
    timeline: view.timeline.filter((e) => !e.subOrderId || e.subOrderId === id),
    creditNotes: creditNotesFor(agg, who, config(c.env).financialYear).filter((n) => n.subOrderId === id),
  };
}

async function act(c: Context<AppEnv>, id: string, input: ActionInput) {
  const who = requireRole(c, ...actors);
  const outcome = await actOnSubOrder(c.env, c.executionCtx, {
    subOrderId: id,
    who,
    actor: actorOf(who),
    now: new Date(),
    ...input,
  });
  if (!outcome.ok) refuse(outcome);
  return detail(c, id, who);
}

function refuse(outcome: Extract<FulfillmentOutcome, { ok: false }>): never {
  switch (outcome.code) {
    case "ILLEGAL_TRANSITION":
      throw new ApiError("ILLEGAL_TRANSITION", outcome.detail, { allowed: outcome.allowed });
    case "VALIDATION_FAILED":
      if (outcome.errors) throw validationError(outcome.errors, outcome.detail);
      throw new ApiError("VALIDATION_FAILED", outcome.detail, {
        missing: outcome.missing,
        unexpected: outcome.unexpected,
      });
    case "AWB_IN_USE":
      throw new ApiError(outcome.code, outcome.detail, outcome.subOrderId ? { subOrderId: outcome.subOrderId } : {});
    default:
      throw new ApiError(outcome.code, outcome.detail);
  }
}

const correctAwbRoute = defineRoute({
  method: "post",
  path: "/sub-orders/{id}/awb",
  access: [...actors],
  summary: "Correct the carrier and AWB of a dispatched sub-order (Idempotency-Key required)",
  description:
    "For a label typed wrong at dispatch, e.g. another parcel's AWB, which that parcel's own sub-order then cannot be dispatched with. Only while dispatched (409 ILLEGAL_TRANSITION before dispatch, once delivered or cancelled); the AWB is checked against the carrier's pattern as a dispatch's is (422), and one already on another sub-order that is not cancelled is 409 AWB_IN_USE. The old AWB is free as soon as this answers. The timeline records `sub_order.awb_corrected` (who, from what to what, why) and the feeds show the new tracking. Requires Idempotency-Key (400 IDEMPOTENCY_KEY_REQUIRED without one): the same key and body again answers the same; the same carrier and AWB again changes nothing.",
  request: { params: Params, headers: IdempotencyKeyHeader, ...jsonBody(AwbCorrectionBody) },
  responses: { 200: json(SubOrderDetail, "The sub-order with its new carrier and AWB"), ...problemResponses },
});

const returnRoute = defineRoute({
  method: "post",
  path: "/sub-orders/{id}/return",
  access: [...actors],
  summary: "Take back delivered units (Idempotency-Key required): restock, refund with a credit note",
  description: STEP_NOTE,
  request: {
    params: Params,
    headers: requiredKeyHeader("a retry with the same key takes back and refunds nothing twice"),
    ...jsonBody(ReturnBody),
  },
  responses: { 200: json(SubOrderDetail, "The sub-order after the step"), ...problemResponses },
});

export const subOrders = router()
  .openapi(list, async (c) => {
    const who = requireRole(c, ...actors);
    const q = c.req.valid("query");
    const after = pageStart(q.cursor);
    if (who.role === "vendor" && q.vendorId && q.vendorId !== who.vendorId)
      throw new ApiError("NOT_FOUND", "No such vendor");
    if (q.carrier && !q.awb) throw validationError([{ path: "carrier", message: "filters only with awb" }]);
    const page = await listSubOrders(database(c.env), {
      vendorId: who.role === "vendor" ? who.vendorId : q.vendorId,
      status: q.status,
      label: q.awb ? { awb: q.awb, carrier: q.carrier } : undefined,
      hideHeld: who.role === "vendor",
      sort: q.sort,
      after,
      limit: q.limit,
    });
    if (!page) throw validationError([{ path: "cursor", message: "a cursor of the other sort order" }]);
    return c.json(
      {
        items: page.items.map((s) => ({
          id: s.id,
          orderId: s.orderId,
          vendorId: s.vendorId,
          status: s.status as SubOrderStatus,
          slaDispatchBy: s.slaDispatchBy,
          total: { amountMinor: s.totalMinor, currency: s.currency },
          createdAt: s.createdAt,
        })),
        nextCursor: page.nextCursor,
      },
      200,
    );
  })
  .openapi(get, async (c) => c.json(await detail(c, c.req.valid("param").id, requireRole(c, ...actors)), 200))
  .openapi(bareStep("confirm", "Confirm the sub-order (the vendor will ship it)"), async (c) =>
    c.json(await act(c, c.req.valid("param").id, { action: "confirm" }), 200),
  )
  .openapi(step("pack", "Pack it, proven by scanning one barcode per unit", PackBody), async (c) =>
    c.json(await act(c, c.req.valid("param").id, { action: "pack", scanned: c.req.valid("json").scanned }), 200),
  )
  .openapi(step("dispatch", "Hand it to a carrier with its AWB", DispatchBody), async (c) =>
    c.json(await act(c, c.req.valid("param").id, { action: "dispatch", ...c.req.valid("json") }), 200),
  )
  .openapi(correctAwbRoute, async (c) => {
    const who = requireRole(c, ...actors);
    idempotencyKeyOf(c);
    const id = c.req.valid("param").id;
    const { carrier, awb, reason } = c.req.valid("json");
    const outcome = await correctAwb(c.env, c.executionCtx, {
      subOrderId: id,
      who,
      actor: actorOf(who),
      carrier,
      awb,
      reason: reason ?? null,
      now: new Date(),
    });
    if (!outcome.ok) refuse(outcome);
    return c.json(await detail(c, id, who), 200);
  })
  .openapi(
    step("milestone", "Record a tracking milestone (out for delivery, delivery attempted)", MilestoneBody),
    async (c) => {
      const who = requireRole(c, ...actors);
      const id = c.req.valid("param").id;
      const { type, note } = c.req.valid("json");
      const outcome = await recordMilestone(c.env, c.executionCtx, {
        subOrderId: id,
        who,
        actor: actorOf(who),
        type,
        note: note ?? null,
        at: new Date(),
      });
      if (!outcome.ok) {
        throw new ApiError(
          outcome.code,
          outcome.detail,
          outcome.code === "ILLEGAL_TRANSITION" ? { allowed: outcome.allowed } : {},
        );
      }
      return c.json(await detail(c, id, who), 200);
    },
  )
  .openapi(returnRoute, async (c) => {
    const who = requireRole(c, ...actors);
    const id = c.req.valid("param").id;
    const key = idempotencyKeyOf(c);
    const outcome = await returnSubOrder(c.env, c.executionCtx, {
      subOrderId: id,
      who,
      actor: actorOf(who),
      key,
      now: new Date(),
      ...c.req.valid("json"),
    });
    if (!outcome.ok) {
      if (outcome.code === "VALIDATION_FAILED") throw validationError(outcome.errors ?? [], outcome.detail);
      throw new ApiError(
        outcome.code,
        outcome.detail,
        outcome.code === "ILLEGAL_TRANSITION" ? { allowed: outcome.allowed } : {},
      );
    }
    return c.json(await detail(c, id, who), 200);
  })
  .openapi(bareStep("deliver", "Mark it delivered"), async (c) =>
    c.json(await act(c, c.req.valid("param").id, { action: "deliver" }), 200),
  )
  .openapi(
    step(
      "undelivered",
      "Close a dispatched parcel that never reached the shopper (back at the seller, or lost): refunded in full with a credit note",
      UndeliveredBody,
    ),
    async (c) => {
      const who = requireRole(c, ...actors);
      const id = c.req.valid("param").id;
      const { outcome, restock, note } = c.req.valid("json");
      const outcomeOf = await closeUndelivered(c.env, c.executionCtx, {
        subOrderId: id,
        who,
        actor: actorOf(who),
        outcome,
        ...(restock === undefined ? {} : { restock }),
        note: note ?? null,
        now: new Date(),
      });
      if (!outcomeOf.ok) refuse(outcomeOf);
      return c.json(await detail(c, id, who), 200);
    },
  )
  .openapi(
    step(
      "cancel",
      "Cancel it: the vendor cannot fulfil (stock released, refunded with a credit note)",
      CancelSubOrderBody,
    ),
    async (c) =>
      c.json(await act(c, c.req.valid("param").id, { action: "cancel", reason: c.req.valid("json").reason }), 200),
  );
