/**
 * Why the SkuStock object calls out: catalog reads and analytics read stock from D1
 * (`stock_levels`), not from thousands of objects. The object keeps the coalescing state (dirty flag,
 * due time, backoff) in its own storage and flushes its latest snapshot here from its alarm.
 */
import { mirrorStockLevels } from "../../src/db/stock-mirror";
import { isoSeconds } from "../../src/domain/time";
import type { StockSnapshot } from "../sku-stock-rpc";

/** Writes the snapshot's levels to D1; throws if D1 could not be written (the object retries later). */
export function flushStockMirror(env: Env, snapshot: StockSnapshot): Promise<void> {
  return mirrorStockLevels(env.DB, snapshot, isoSeconds(Date.now()));
}
