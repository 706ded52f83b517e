import { z } from "@hono/zod-openapi";
import { Id, json, jsonBody, problemResponses } from "../../contracts/common";
import { CheckoutBody, OrderView } from "../../contracts/orders";
import {
  Quote,
  RateCard,
  RateCardBody,
  RateCardQuery,
  ReassignBody,
  RoutingWeightsBody,
  RoutingWeightsHistory,
  RoutingWeightsVersion,
  VendorScore,
  VendorScoreBody,
} from "../../contracts/routing";
import { IdempotencyKeyHeader } from "../../contracts/stock";
import { database } from "../../db/client";
import { loadOrder } from "../../db/orders";
import {
  deleteRateCard,
  insertRateCard,
  insertWeights,
  latestWeights,
  listRateCards,
  listVendorScores,
  type RateCardRow,
  readRoutingModel,
  upsertVendorScore,
  type WeightsRow,
  weightsHistory,
} from "../../db/routing";
import { findVendor } from "../../db/vendors";
import { newId } from "../../domain/ids";
import { actorOf } from "../../domain/principal";
import { factorNames, normalizeWeights } from "../../domain/routing/weights";
import { isoSeconds } from "../../domain/time";
import { orderViewFor } from "../../orders/view";
import { config } from "../../platform/config";
import { reassignSubOrder } from "../../reassignment/reassign";
import { forgetRoutingModel } from "../../routing/model";
import { quoteCart } from "../../routing/quote";
import { requireRole } from "../auth";
import { router } from "../context";
import { ApiError, validationError } from "../errors";
import { defineRoute } from "../route";

const quote = defineRoute({
  method: "post",
  path: "/routing/quote",
  access: ["customer", "ops", "admin"],
  summary: "Where a cart would ship from and what it would cost, without reserving anything",
  description:
    "Takes the checkout body. Each shipment is one vendor's parcel from one warehouse, with its shipping by the rate cards and the promised dispatch and delivery; product lines show the offer routing picks and its price. Out of stock answers 409 as checkout does, with `productId` for product lines.",
  request: jsonBody(CheckoutBody),
  responses: { 200: json(Quote, "The routed cart"), ...problemResponses },
});

const reassign = defineRoute({
  method: "post",
  path: "/sub-orders/{id}/reassign",
  access: ["ops", "admin"],
  summary:
    "Move a paid sub-order's lines to another warehouse or another vendor's offer of the same item, before packing (Idempotency-Key required)",
  description:
    "The units stay the variant the shopper bought: the same SKU in another warehouse, or another vendor's SKU of the same product with the same GTIN (barcode), or its one SKU of the product when both vendors sell it as one SKU only; another size or colour is never a target. The target's units are set aside, the move is written (sub-orders re-split as needed; a confirmed one goes back to paid for its vendor to confirm again), then the holds move. The shopper's price stays (a difference is recorded against the platform) and the timeline records who, what and why. Requires Idempotency-Key (400 IDEMPOTENCY_KEY_REQUIRED without one): the same key and body again answers the order and moves nothing twice. 409 OUT_OF_STOCK when the target cannot cover it (nothing changes); 409 ILLEGAL_TRANSITION before payment, once packed, or when the sub-order changed meanwhile.",
  request: { params: z.object({ id: Id }), headers: IdempotencyKeyHeader, ...jsonBody(ReassignBody) },
  responses: { 200: json(OrderView, "The order after the move"), ...problemResponses },
});

const getWeights = defineRoute({
  method: "get",
  path: "/routing/weights",
  access: ["ops", "admin"],
  summary: "The routing weights in use (the latest version)",
  responses: { 200: json(RoutingWeightsVersion, "The current version"), ...problemResponses },
});

const putWeights = defineRoute({
  method: "put",
  path: "/routing/weights",
  access: ["ops", "admin"],
  summary: "Set the routing weights: a new version (factor weights are scaled to sum to 1)",
  request: jsonBody(RoutingWeightsBody),
  responses: { 201: json(RoutingWeightsVersion, "The new version"), ...problemResponses },
});

const weightsLog = defineRoute({
  method: "get",
  path: "/routing/weights/history",
  access: ["ops", "admin"],
  summary: "The last versions of the routing weights and what each changed",
  request: { query: z.object({ limit: z.coerce.number().int().min(1).max(200).default(20) }) },
  responses: { 200: json(RoutingWeightsHistory, "Newest first"), ...problemResponses },
});

const listCards = defineRoute({
  method: "get",
  path: "/rate-cards",
  access: ["ops", "admin"],
  summary: "Shipping rate cards: the platform's and each vendor's",
  request: { query: RateCardQuery },
  responses: { 200: json(z.object({ items: z.array(RateCard) }), "The cards"), ...problemResponses },
});

const createCard = defineRoute({
  method: "post",
  path: "/rate-cards",
  access: ["ops", "admin"],
  summary: "Add a rate card: one parcel up to a distance and a weight, its price and transit days",
  description: "A vendor with cards of its own is priced only by them; every other vendor by the platform's.",
  request: jsonBody(RateCardBody),
  responses: { 201: json(RateCard, "Created"), ...problemResponses },
});

const deleteCard = defineRoute({
  method: "delete",
  path: "/rate-cards/{id}",
  access: ["ops", "admin"],
  summary: "Remove a rate card",
  request: { params: z.object({ id: Id }) },
  responses: { 204: { description: "Removed" }, ...problemResponses },
});

const listScores = defineRoute({
  method: "get",
  path: "/routing/vendor-scores",
  access: ["ops", "admin"],
  summary: "Each vendor's learned dispatch speed and reliability",
  description: "Vendors without a row are scored with the defaults.",
  responses: { 200: json(z.object({ items: z.array(VendorScore) }), "The scores"), ...problemResponses },
});

const putScore = defineRoute({
  method: "put",
  path: "/routing/vendor-scores/{vendorId}",
  access: ["ops", "admin"],
  summary: "Set a vendor's score (a prior for a new vendor, or seeded history)",
  description: "The hourly re-fit replaces it once the vendor has decided outcomes of its own.",
  request: { params: z.object({ vendorId: Id }), ...jsonBody(VendorScoreBody) },
  responses: { 200: json(VendorScore, "The score"), ...problemResponses },
});

/** A move's Idempotency-Key, required: without one a retry would be the order's next move (400, as a stock adjustment). */
function moveKeyOf(key: string | undefined): string {
  if (!key)
    throw new ApiError(
      "IDEMPOTENCY_KEY_REQUIRED",
      "Send an Idempotency-Key header so a retry cannot move the units twice",
    );
  return key;
}

function weightsView(row: WeightsRow) {
  const w = row.weights;
  return {
    version: row.version,
    weights: {
      distance: w.distance,
      delivery: w.delivery,
      speed: w.speed,
      reliability: w.reliability,
      cost: w.cost,
      groupTolerance: w.groupTolerance,
      costBound: w.costBound,
    },
    changes: row.changes ?? null,
    createdAt: row.createdAt,
  };
}

function cardView(r: RateCardRow) {
  return {
    id: r.id,
    vendorId: r.vendorId,
    maxKm: r.maxKm,
    maxWeightGrams: r.maxWeightGrams,
    price: { amountMinor: r.priceMinor, currency: r.currency },
    transitDays: r.transitDays,
  };
}

export const routing = router()
  .openapi(quote, async (c) => {
    requireRole(c, "customer", "ops", "admin");
    const outcome = await quoteCart(c.env, c.req.valid("json"), new Date());
    if (outcome.ok) return c.json(outcome.body, 200);
    if (outcome.code === "OUT_OF_STOCK") {
      throw new ApiError("OUT_OF_STOCK", "Some lines cannot be covered now", { shortages: outcome.shortages });
    }
    throw validationError(outcome.errors, outcome.detail);
  })
  .openapi(reassign, async (c) => {
    const who = requireRole(c, "ops", "admin");
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const outcome = await reassignSubOrder(c.env, c.executionCtx, {
      subOrderId: id,
      ...(body.lines ? { lines: body.lines } : {}),
      target: body.target,
      reason: body.reason,
      key: moveKeyOf(c.req.valid("header")["idempotency-key"]),
      actor: actorOf(who),
      now: new Date(),
    });
    if (!outcome.ok) {
      throw new ApiError(outcome.code, outcome.detail, outcome.allowed ? { allowed: outcome.allowed } : {});
    }
    const agg = await loadOrder(database(c.env), outcome.orderId, { names: true });
    return c.json(orderViewFor(agg!, who)!, 200);
  })
  .openapi(getWeights, async (c) => {
    const db = database(c.env);
    const row = (await latestWeights(db)) ?? (await readRoutingModel(db, isoSeconds(new Date()))).weights;
    return c.json(weightsView(row), 200);
  })
  .openapi(putWeights, async (c) => {
    const db = database(c.env);
    const before = (await latestWeights(db)) ?? (await readRoutingModel(db, isoSeconds(new Date()))).weights;
    const next = normalizeWeights(c.req.valid("json"));
    const changes = {
      reason: "set by hand",
      by: actorOf(requireRole(c, "ops", "admin")),
      weights: factorNames
        .filter((f) => next[f] !== before.weights[f])
        .map((f) => ({ factor: f, from: before.weights[f], to: next[f] })),
    };
    const createdAt = isoSeconds(new Date());
    const [row] = await insertWeights(db, { weights: next, changes, createdAt });
    forgetRoutingModel();
    return c.json(weightsView({ version: row!.version, weights: next, changes, createdAt }), 201);
  })
  .openapi(weightsLog, async (c) => {
    const rows = await weightsHistory(database(c.env), c.req.valid("query").limit);
    return c.json({ items: rows.map(weightsView) }, 200);
  })
  .openapi(listCards, async (c) => {
    const { vendorId } = c.req.valid("query");
    const rows = await listRateCards(database(c.env), vendorId === "platform" ? null : vendorId);
    return c.json({ items: rows.map(cardView) }, 200);
  })
  .openapi(createCard, async (c) => {
    const body = c.req.valid("json");
    const db = database(c.env);
    const currency = config(c.env).currency;
    if (body.price.currency !== currency) {
      throw validationError([{ path: "price.currency", message: `must be ${currency}` }]);
    }
    if (body.vendorId && !(await findVendor(db, body.vendorId))) {
      throw validationError([{ path: "vendorId", message: "unknown vendor" }]);
    }
    const row = await insertRateCard(db, {
      id: newId("rc"),
      vendorId: body.vendorId,
      maxKm: body.maxKm,
      maxWeightGrams: body.maxWeightGrams,
      priceMinor: body.price.amountMinor,
      currency,
      transitDays: body.transitDays,
    });
    forgetRoutingModel();
    return c.json(cardView(row), 201);
  })
  .openapi(deleteCard, async (c) => {
    if (!(await deleteRateCard(database(c.env), c.req.valid("param").id)))
      throw new ApiError("NOT_FOUND", "No such rate card");
    forgetRoutingModel();
    return c.body(null, 204);
  })
  .openapi(listScores, async (c) => {
    const rows = await listVendorScores(database(c.env));
    return c.json({ items: rows }, 200);
  })
  .openapi(putScore, async (c) => {
    const db = database(c.env);
    const { vendorId } = c.req.valid("param");
    if (!(await findVendor(db, vendorId))) throw new ApiError("NOT_FOUND", "No such vendor");
    const row = { vendorId, ...c.req.valid("json"), weightsVersion: null, updatedAt: isoSeconds(new Date()) };
    await upsertVendorScore(db, row);
    forgetRoutingModel();
    return c.json(row, 200);
  });
