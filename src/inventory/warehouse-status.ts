import { database } from "../db/client";
import { skusStockedAt } from "../db/stock-mirror";
import { sellersChanged } from "../gateways/stock";

const PAGE = 100;

/**
 * A warehouse opened or closed: every SKU stocked there pushes its storefront count again, so
 * screens already open stop (or start) counting its units without waiting for a sale. Screens
 * opened later read the catalog, which counts open warehouses only. A SKU stocked there so
 * recently that the mirror does not list it yet is put right by its next push.
 */
export async function announceWarehouseStatus(env: Env, warehouseId: string): Promise<void> {
  const db = database(env);
  let after = "";
  for (;;) {
    const skuIds = await skusStockedAt(db, warehouseId, after, PAGE);
    await sellersChanged(env, skuIds);
    if (skuIds.length < PAGE) return;
    after = skuIds.at(-1)!;
  }
}
