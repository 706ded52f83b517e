import type { PublicStock, SetStock, StockAdjustment, StockLevels } from "../contracts/stock";
import { database } from "../db/client";
import { warehouseVendor } from "../db/orders";
import { findSku } from "../db/skus";
import { actorOf, type Principal } from "../domain/principal";
import { adjustStock, type StockChangeResult, type StockSnapshot, setStockLevel, snapshotOf } from "../gateways/stock";

export type StockFailure =
  | { ok: false; code: "NOT_FOUND"; detail: string }
  | { ok: false; code: "VALIDATION_FAILED"; errors: { path: string; message: string }[] }
  | { ok: false; code: "IDEMPOTENCY_KEY_REUSED" }
  | { ok: false; code: "STOCK_BELOW_RESERVED"; minimum: number };

export type StockChange = { ok: true; levels: StockLevels } | StockFailure;

type Sku = { id: string; vendorId: string };

const NO_SKU = { ok: false, code: "NOT_FOUND", detail: "No such SKU" } as const;

function manages(p: Principal | null, sku: Sku): boolean {
  return p?.role === "admin" || p?.role === "ops" || (p?.role === "vendor" && p.vendorId === sku.vendorId);
}

function levels(skuId: string, snap: StockSnapshot): StockLevels {
  return { skuId, warehouses: snap.warehouses, totals: snap.totals };
}

/** Exact levels per warehouse for admin, ops and the SKU's vendor; only the total available for anyone else. */
export async function readStock(
  env: Env,
  p: Principal | null,
  skuId: string,
): Promise<{ ok: true; levels: StockLevels | PublicStock } | StockFailure> {
  const sku = await findSku(database(env), skuId);
  if (!sku) return NO_SKU;
  const snap = await snapshotOf(env, skuId);
  if (manages(p, sku)) return { ok: true, levels: levels(skuId, snap) };
  return { ok: true, levels: { skuId, totals: { available: snap.totals.available } } };
}

/**
 * Another vendor's SKU is answered as if it did not exist, before anything is touched; the
 * warehouse must be one of the SKU's vendor.
 */
async function managedSku(env: Env, p: Principal, skuId: string, warehouseId: string): Promise<StockFailure | null> {
  const db = database(env);
  const sku = await findSku(db, skuId);
  if (!sku || !manages(p, sku)) return NO_SKU;
  if ((await warehouseVendor(db, warehouseId)) !== sku.vendorId) {
    return {
      ok: false,
      code: "VALIDATION_FAILED",
      errors: [{ path: "warehouseId", message: "not a warehouse of this SKU's vendor" }],
    };
  }
  return null;
}

function applied(skuId: string, r: StockChangeResult): StockChange {
  if (r.ok) return { ok: true, levels: levels(skuId, r.snapshot) };
  if (r.code === "IDEMPOTENCY_KEY_REUSED") return { ok: false, code: "IDEMPOTENCY_KEY_REUSED" };
  return { ok: false, code: "STOCK_BELOW_RESERVED", minimum: r.minimum };
}

function actorName(p: Principal): string {
  const a = actorOf(p);
  return `${a.role}:${a.id}`;
}

/** A counted on-hand level in one warehouse (refused below what is held and committed). */
export async function setStock(env: Env, p: Principal, skuId: string, body: SetStock): Promise<StockChange> {
  const refused = await managedSku(env, p, skuId, body.warehouseId);
  if (refused) return refused;
  return applied(skuId, await setStockLevel(env, { skuId, ...body, actor: actorName(p) }));
}

/** On hand moved by a delta with a reason, once per the caller's key. */
export async function adjustStockBy(
  env: Env,
  p: Principal,
  skuId: string,
  body: StockAdjustment,
  key: string,
): Promise<StockChange> {
  const refused = await managedSku(env, p, skuId, body.warehouseId);
  if (refused) return refused;
  const actor = actorName(p);
  // Keys are scoped to the caller, so two callers can never collide on a key.
  return applied(skuId, await adjustStock(env, { skuId, ...body, actor, idempotencyKey: `${actor}:${key}` }));
}
