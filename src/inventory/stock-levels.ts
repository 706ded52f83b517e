import type { PublicStock, SetStock, StaleCount, StockAdjustment, StockCount, StockLevels } from "../contracts/stock";
import { database } from "../db/client";
import { warehouseVendor } from "../db/orders";
import { findSku, skuOnSale } from "../db/skus";
import { closedWarehouseIds } from "../db/warehouses";
import { actorOf, managesStockOf, type Principal } from "../domain/principal";
import { sellableUnits } from "../domain/stock-allocation";
import {
  adjustStock,
  type CountResult,
  type StockChangeResult,
  type StockSnapshot,
  setStockLevels,
  snapshotOf,
} from "../gateways/stock";

export type StockFailure =
  | { ok: false; code: "NOT_FOUND"; detail: string }
  | { ok: false; code: "VALIDATION_FAILED"; errors: { path: string; message: string }[] }
  | { ok: false; code: "IDEMPOTENCY_KEY_REUSED" }
  | { ok: false; code: "STOCK_BELOW_RESERVED"; warehouseId: string; minimum: number }
  | ({ ok: false; code: "STALE_COUNT" | "COUNT_VERSION_REQUIRED" } & StaleCount);

export type StockChange = { ok: true; levels: StockLevels } | StockFailure;

type Sku = { id: string; vendorId: string };

const NO_SKU = { ok: false, code: "NOT_FOUND", detail: "No such SKU" } as const;

const manages = (p: Principal | null, sku: Sku) => managesStockOf(p, sku.vendorId);

function levels(skuId: string, snap: StockSnapshot): StockLevels {
  return { skuId, warehouses: snap.warehouses, totals: snap.totals };
}

/**
 * Exact levels per warehouse for admin, ops and the SKU's vendor, with the SKU's version (a screen
 * that also follows the vendor feed keeps the newer of the two); for anyone else only the total
 * for sale, which leaves out closed warehouses, and only while the catalog lists the SKU (a paused
 * SKU's or a non-selling vendor's is NOT_FOUND, as if it did not exist).
 */
export async function readStock(
  env: Env,
  p: Principal | null,
  skuId: string,
): Promise<{ ok: true; levels: StockLevels | PublicStock } | StockFailure> {
  const sku = await findSku(database(env), skuId);
  if (!sku) return NO_SKU;
  if (manages(p, sku)) {
    const snap = await snapshotOf(env, skuId);
    return { ok: true, levels: { ...levels(skuId, snap), version: snap.version } };
  }
  const [onSale, snap, closed] = await Promise.all([
    skuOnSale(database(env), skuId),
    snapshotOf(env, skuId),
    closedWarehouseIds(database(env), sku.vendorId),
  ]);
  if (!onSale) return NO_SKU;
  return { ok: true, levels: { skuId, totals: { available: sellableUnits(snap.warehouses, closed) } } };
}

/**
 * Another vendor's SKU is answered as if it did not exist, before anything is touched; every
 * warehouse (keyed by its field path) must be one of the SKU's vendor.
 */
async function managedSku(
  env: Env,
  p: Principal,
  skuId: string,
  warehouses: { path: string; warehouseId: string }[],
): Promise<StockFailure | null> {
  const db = database(env);
  const sku = await findSku(db, skuId);
  if (!sku || !manages(p, sku)) return NO_SKU;
  const owners = await Promise.all(warehouses.map((w) => warehouseVendor(db, w.warehouseId)));
  const foreign = warehouses.filter((_, i) => owners[i] !== sku.vendorId);
  if (foreign.length === 0) return null;
  return {
    ok: false,
    code: "VALIDATION_FAILED",
    errors: foreign.map((w) => ({ path: w.path, message: "not a warehouse of this SKU's vendor" })),
  };
}

function adjusted(skuId: string, warehouseId: string, r: StockChangeResult): StockChange {
  if (r.ok) return { ok: true, levels: levels(skuId, r.snapshot) };
  if (r.code === "IDEMPOTENCY_KEY_REUSED") return { ok: false, code: "IDEMPOTENCY_KEY_REUSED" };
  return { ok: false, code: "STOCK_BELOW_RESERVED", warehouseId, minimum: r.minimum };
}

function counted(skuId: string, r: CountResult): StockChange {
  if (r.ok) return { ok: true, levels: levels(skuId, r.snapshot) };
  if (r.code === "STOCK_BELOW_RESERVED") return r;
  return { ok: false, code: r.code, stale: r.stale, levels: levels(skuId, r.snapshot) };
}

function actorName(p: Principal): string {
  const a = actorOf(p);
  return `${a.role}:${a.id}`;
}

/**
 * Counted on-hand levels of one or more warehouses, all or nothing: refused below what is held and
 * committed, and refused when a level's on-hand version moved since it was counted (or an existing
 * level was counted without one), so a count never silently undoes a restock it did not see.
 */
export async function setStock(env: Env, p: Principal, skuId: string, body: SetStock): Promise<StockChange> {
  const several = "counts" in body;
  const counts: StockCount[] = several
    ? body.counts
    : [{ warehouseId: body.warehouseId, onHand: body.onHand, expectedVersion: body.expectedVersion }];
  const paths = counts.map((c, i) => ({
    path: several ? `counts.${i}.warehouseId` : "warehouseId",
    warehouseId: c.warehouseId,
  }));
  const refused = await managedSku(env, p, skuId, paths);
  if (refused) return refused;
  return counted(skuId, await setStockLevels(env, { skuId, counts, reason: body.reason, actor: actorName(p) }));
}

/** On hand moved by a delta with a reason, once per the caller's key. */
export async function adjustStockBy(
  env: Env,
  p: Principal,
  skuId: string,
  body: StockAdjustment,
  key: string,
): Promise<StockChange> {
  const refused = await managedSku(env, p, skuId, [{ path: "warehouseId", warehouseId: body.warehouseId }]);
  if (refused) return refused;
  const actor = actorName(p);
  // Keys are scoped to the token, as every replayed write's are: two systems of one vendor, each
  // with its own token and its own counter for keys, never collide.
  const r = await adjustStock(env, { skuId, ...body, actor, idempotencyKey: `${p.role}:${p.tokenId}:${key}` });
  return adjusted(skuId, body.warehouseId, r);
}
