import { reorderSuggestions } from "../../analytics/low-stock";
import { json, jsonBody, problemResponses } from "../../contracts/common";
import { LeadTime, ReorderParams, ReorderSuggestions, SetLeadTime, SkuLeadTimeParams } from "../../contracts/reorder";
import { database } from "../../db/client";
import { setLeadTime, skuOwner } from "../../db/low-stock";
import { findVendor } from "../../db/vendors";
import { isoSeconds } from "../../domain/time";
import { router } from "../context";
import { defineRoute } from "../route";
import { actsFor, notFound, principalOf } from "../scope";

const suggestions = defineRoute({
  method: "get",
  path: "/vendors/{vendorId}/reorder-suggestions",
  access: ["admin", "ops", "vendor"],
  summary: "Reorder suggestions: per SKU, units to order and the day stock runs out",
  description:
    "From the sales velocity of the last 28 days (analytics roll-ups), the stock mirror and each SKU's lead time. A vendor reads only its own; another vendor's id is 404.",
  request: { params: ReorderParams },
  responses: { 200: json(ReorderSuggestions, "The suggestions"), ...problemResponses },
});

const leadTime = defineRoute({
  method: "put",
  path: "/skus/{skuId}/lead-time",
  access: ["admin", "vendor"],
  summary: "Set a SKU's reorder lead time in days",
  description: "The owning vendor or an admin; another vendor's SKU is 404.",
  request: { params: SkuLeadTimeParams, ...jsonBody(SetLeadTime) },
  responses: { 200: json(LeadTime, "The lead time now"), ...problemResponses },
});

export const reorder = router()
  .openapi(suggestions, async (c) => {
    const { vendorId } = c.req.valid("param");
    const known = actsFor(principalOf(c), vendorId) ? await findVendor(database(c.env), vendorId) : null;
    if (!known) throw notFound("vendor", vendorId);
    return c.json(await reorderSuggestions(c.env, vendorId, new Date()), 200);
  })
  .openapi(leadTime, async (c) => {
    const { skuId } = c.req.valid("param");
    const db = database(c.env);
    const owner = await skuOwner(db, skuId);
    if (!owner || !actsFor(principalOf(c), owner.vendorId)) throw notFound("SKU", skuId);
    const set = await setLeadTime(db, skuId, c.req.valid("json").leadTimeDays, isoSeconds(new Date()));
    if (!set) throw notFound("SKU", skuId);
    return c.json(set, 200);
  });
