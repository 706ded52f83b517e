import { database } from "../db/client";
import { skusStockedAt } from "../db/stock-mirror";
import { findWarehouse } from "../db/warehouses";
import { sellersChanged } from "../gateways/stock";
import { sendSellersPage } from "../gateways/warehouse-seller-pages";

// A stock-object call per SKU: a page stays inside the share of an invocation's 1,000 subrequests
// a page may spend, however many SKUs the warehouse stocks.
const PAGE = 100;

/**
 * A warehouse opened or closed: every SKU stocked there pushes its storefront count again, so
 * screens already open stop (or start) counting its units without waiting for a sale, and its stock
 * object takes no claim there while it is closed (a checkout's catalog may be seconds old). Screens
 * opened later read the catalog, which counts open warehouses only. A SKU stocked there so
 * recently that the mirror does not list it yet is put right by its next push. One page of SKUs
 * (after `after`); a full page hands the rest to the queue, a page per consumer invocation.
 */
export async function announceWarehouseStatus(env: Env, warehouseId: string, after = ""): Promise<void> {
  const db = database(env);
  // Read as each page runs: after a close and a quick reopen, every page tells the latest.
  const [warehouse, skuIds] = await Promise.all([
    findWarehouse(db, warehouseId),
    skusStockedAt(db, warehouseId, after, PAGE),
  ]);
  if (!warehouse) return;
  await sellersChanged(env, skuIds, { warehouseId, closed: warehouse.status !== "active" });
  if (skuIds.length === PAGE) await sendSellersPage(env, { warehouseId, after: skuIds.at(-1)! });
}

/**
 * The first page, from the request that opened or closed the warehouse, so open screens recount at
 * once. Nothing retries a request's background work: a page that fails there (a stock object or D1
 * unreachable) goes to the queue, whose deliveries are retried, rather than leaving its SKUs, and
 * every page after it, counting the warehouse as it was.
 */
export async function announceWarehouseStatusNow(env: Env, warehouseId: string): Promise<void> {
  try {
    await announceWarehouseStatus(env, warehouseId);
  } catch (err) {
    console.warn(JSON.stringify({ msg: "warehouse status page failed; queued", warehouseId, error: String(err) }));
    await sendSellersPage(env, { warehouseId, after: "" });
  }
}
