import { CreateWarehouse, UpdateWarehouse, VendorParams, Warehouse, WarehouseParams } from "../../contracts/catalog";
import { json, jsonBody, ListQuery, page, problemResponses } from "../../contracts/common";
import type { Db } from "../../db/client";
import { database } from "../../db/client";
import { postalCodeLookup } from "../../db/postal-codes";
import { findVendor } from "../../db/vendors";
import {
  findWarehouse,
  insertWarehouse,
  listWarehouses,
  updateWarehouse,
  type WarehouseChanges,
} from "../../db/warehouses";
import { normalizeCountry, normalizePostalCode, type Point, resolveShippingPoint } from "../../domain/geo";
import { newId } from "../../domain/ids";
import { isoSeconds } from "../../domain/time";
import { announceWarehouseStatusNow } from "../../inventory/warehouse-status";
import { finishLater } from "../../platform/background";
import { router } from "../context";
import { validationError } from "../errors";
import { defineRoute } from "../route";
import { actsFor, notFound, pageStart, principalOf } from "../scope";

const create = defineRoute({
  method: "post",
  path: "/vendors/{vendorId}/warehouses",
  access: ["admin", "ops", "vendor"],
  summary: "Add a warehouse to a vendor",
  description:
    "A vendor may add only its own (another vendor's id is 404). Without lat/lng the coordinates come from the " +
    "postal-code table; an unknown postal code is then 422.",
  request: { params: VendorParams, ...jsonBody(CreateWarehouse) },
  responses: { 201: json(Warehouse, "Created"), ...problemResponses },
});

const list = defineRoute({
  method: "get",
  path: "/vendors/{vendorId}/warehouses",
  access: ["admin", "ops", "vendor"],
  summary: "List a vendor's warehouses by name",
  description: "A vendor may list only its own; another vendor's id is 404.",
  request: { params: VendorParams, query: ListQuery },
  responses: { 200: json(page(Warehouse), "A page of warehouses"), ...problemResponses },
});

const update = defineRoute({
  method: "patch",
  path: "/warehouses/{warehouseId}",
  access: ["admin", "vendor"],
  summary: "Change a warehouse (name, coordinates, postal code, status)",
  description:
    "The owning vendor or an admin; another vendor's warehouse is 404. A new postal code or country without lat/lng " +
    "moves the coordinates to that postal code (422 when it is not in the table).",
  request: { params: WarehouseParams, ...jsonBody(UpdateWarehouse) },
  responses: { 200: json(Warehouse, "The warehouse after the change"), ...problemResponses },
});

/** Coordinates as given, else those of the postal code; a field error when neither is known. */
async function placeOf(
  db: Db,
  at: { lat?: number | undefined; lng?: number | undefined; country: string; postalCode: string },
): Promise<Point> {
  const resolved = await resolveShippingPoint(at, postalCodeLookup(db));
  if (!resolved.ok) {
    throw validationError([
      {
        path: "postalCode",
        message: `${resolved.country} ${resolved.postalCode} is not in the postal-code table; give lat and lng`,
      },
    ]);
  }
  return resolved.point;
}

export const warehouses = router()
  .openapi(create, async (c) => {
    const { vendorId } = c.req.valid("param");
    const body = c.req.valid("json");
    const db = database(c.env);
    if (!actsFor(principalOf(c), vendorId) || !(await findVendor(db, vendorId))) throw notFound("vendor", vendorId);
    const country = normalizeCountry(body.country);
    const postalCode = normalizePostalCode(body.postalCode);
    const point = await placeOf(db, { ...body, country, postalCode });
    const warehouse = await insertWarehouse(db, {
      id: newId("wh"),
      vendorId,
      name: body.name,
      ...point,
      postalCode,
      country,
      status: "active",
      createdAt: isoSeconds(new Date()),
    });
    return c.json(warehouse, 201);
  })
  .openapi(list, async (c) => {
    const { vendorId } = c.req.valid("param");
    const q = c.req.valid("query");
    const db = database(c.env);
    const after = pageStart(q.cursor);
    if (!actsFor(principalOf(c), vendorId) || !(await findVendor(db, vendorId))) throw notFound("vendor", vendorId);
    return c.json(await listWarehouses(db, vendorId, { limit: q.limit, after }), 200);
  })
  .openapi(update, async (c) => {
    const { warehouseId } = c.req.valid("param");
    const body = c.req.valid("json");
    const db = database(c.env);
    const current = await findWarehouse(db, warehouseId);
    if (!current || !actsFor(principalOf(c), current.vendorId)) throw notFound("warehouse", warehouseId);
    const changes: WarehouseChanges = {};
    if (body.name !== undefined) changes.name = body.name;
    if (body.status !== undefined) changes.status = body.status;
    if (body.country !== undefined) changes.country = normalizeCountry(body.country);
    if (body.postalCode !== undefined) changes.postalCode = normalizePostalCode(body.postalCode);
    const moved =
      (changes.country ?? current.country) !== current.country ||
      (changes.postalCode ?? current.postalCode) !== current.postalCode;
    if (body.lat !== undefined || moved) {
      Object.assign(
        changes,
        await placeOf(db, {
          lat: body.lat,
          lng: body.lng,
          country: changes.country ?? current.country,
          postalCode: changes.postalCode ?? current.postalCode,
        }),
      );
    }
    const warehouse = await updateWarehouse(db, warehouseId, changes);
    if (!warehouse) throw notFound("warehouse", warehouseId);
    if (warehouse.status !== current.status) {
      await finishLater(c.executionCtx, announceWarehouseStatusNow(c.env, warehouseId));
    }
    return c.json(warehouse, 200);
  });
