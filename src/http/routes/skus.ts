import { CreateSku, Sku, SkuParams, SkuQuery, UpdateSku } from "../../contracts/catalog";
import { json, jsonBody, page, problemResponses } from "../../contracts/common";
import { database } from "../../db/client";
import { findProduct } from "../../db/products";
import { findSku, insertSku, listSkus, type SkuWrite, updateSku } from "../../db/skus";
import { findVendor } from "../../db/vendors";
import { newId } from "../../domain/ids";
import type { Principal } from "../../domain/principal";
import { isoSeconds } from "../../domain/time";
import { config } from "../../platform/config";
import { router } from "../context";
import { ApiError, validationError } from "../errors";
import { defineRoute } from "../route";
import { actsFor, notFound, pageStart, principalOf } from "../scope";

const create = defineRoute({
  method: "post",
  path: "/skus",
  access: ["admin", "vendor"],
  summary: "Create a vendor's SKU of a product",
  description:
    "A vendor only for its own vendorId (another vendor's is 404). The price must be in the marketplace currency " +
    "(else 422 on price.currency). code and barcode are unique within the vendor (409 CONFLICT).",
  request: jsonBody(CreateSku),
  responses: { 201: json(Sku, "Created"), ...problemResponses },
});

const list = defineRoute({
  method: "get",
  path: "/skus",
  access: ["admin", "ops", "vendor"],
  summary: "List SKUs by title, whatever their status",
  description:
    "A vendor sees only its own SKUs (naming another vendorId is 404). Shoppers use GET /catalog/skus instead.",
  request: { query: SkuQuery },
  responses: { 200: json(page(Sku), "A page of SKUs"), ...problemResponses },
});

const read = defineRoute({
  method: "get",
  path: "/skus/{skuId}",
  access: ["admin", "ops", "vendor"],
  summary: "Read a SKU",
  description: "A vendor may read only its own; another vendor's SKU is 404.",
  request: { params: SkuParams },
  responses: { 200: json(Sku, "The SKU"), ...problemResponses },
});

const update = defineRoute({
  method: "patch",
  path: "/skus/{skuId}",
  access: ["admin", "ops", "vendor"],
  summary: "Change a SKU's price, title, barcode, low-stock threshold, weight, status or flash-sale cap",
  description:
    "The owning vendor or an admin; another vendor's SKU is 404. The vendor code, vendor and product are fixed. The flash-sale cap (saleMaxUnitsPerCustomer) is set by ops or an admin, and is all ops may change.",
  request: { params: SkuParams, ...jsonBody(UpdateSku) },
  responses: { 200: json(Sku, "The SKU after the change"), ...problemResponses },
});

function requireMarketplaceCurrency(env: Env, price: { currency: string } | undefined) {
  const currency = config(env).currency;
  if (price && price.currency !== currency) {
    throw validationError([{ path: "price.currency", message: `prices are in the marketplace currency, ${currency}` }]);
  }
}

/** A flash-sale cap is the marketplace's call, not the vendor's; it is the only thing ops change here. */
function requireSaleCapRole(p: Principal, changes: UpdateSku) {
  const salesOnly = Object.keys(changes).every((k) => k === "saleMaxUnitsPerCustomer");
  if (p.role === "ops" && !salesOnly) throw new ApiError("FORBIDDEN", "Ops may change only saleMaxUnitsPerCustomer");
  if (p.role === "vendor" && changes.saleMaxUnitsPerCustomer !== undefined) {
    throw new ApiError("FORBIDDEN", "saleMaxUnitsPerCustomer is set by ops or an admin");
  }
}

function written(result: SkuWrite): Sku {
  if (!result.ok) {
    throw new ApiError("CONFLICT", `This vendor already has a SKU with that ${result.field}`, {
      errors: [{ path: result.field, message: `already used by another SKU of this vendor` }],
    });
  }
  return result.sku;
}

export const skus = router()
  .openapi(create, async (c) => {
    const body = c.req.valid("json");
    const db = database(c.env);
    if (!actsFor(principalOf(c), body.vendorId) || !(await findVendor(db, body.vendorId))) {
      throw notFound("vendor", body.vendorId);
    }
    requireMarketplaceCurrency(c.env, body.price);
    if (!(await findProduct(db, body.productId))) {
      throw validationError([{ path: "productId", message: "no such product" }]);
    }
    const now = isoSeconds(new Date());
    const result = await insertSku(db, {
      id: newId("sku"),
      ...body,
      saleMaxUnitsPerCustomer: null,
      status: "active",
      createdAt: now,
      updatedAt: now,
    });
    return c.json(written(result), 201);
  })
  .openapi(list, async (c) => {
    const p = principalOf(c);
    const q = c.req.valid("query");
    const after = pageStart(q.cursor);
    if (p.role === "vendor" && q.vendorId && q.vendorId !== p.vendorId) throw notFound("vendor", q.vendorId);
    const result = await listSkus(database(c.env), {
      limit: q.limit,
      after,
      vendorId: p.role === "vendor" ? p.vendorId : q.vendorId || undefined,
      productId: q.productId || undefined,
      status: q.status,
    });
    return c.json(result, 200);
  })
  .openapi(read, async (c) => {
    const { skuId } = c.req.valid("param");
    const sku = await findSku(database(c.env), skuId);
    if (!sku || !actsFor(principalOf(c), sku.vendorId)) throw notFound("SKU", skuId);
    return c.json(sku, 200);
  })
  .openapi(update, async (c) => {
    const { skuId } = c.req.valid("param");
    const changes = c.req.valid("json");
    const db = database(c.env);
    const p = principalOf(c);
    requireSaleCapRole(p, changes);
    const current = await findSku(db, skuId);
    if (!current || !actsFor(p, current.vendorId)) throw notFound("SKU", skuId);
    requireMarketplaceCurrency(c.env, changes.price);
    const result = await updateSku(db, skuId, changes, isoSeconds(new Date()));
    if (!result) throw notFound("SKU", skuId);
    return c.json(written(result), 200);
  });
