import type { ReorderSuggestions } from "../contracts/reorder";
import { database } from "../db/client";
import { checkLowStock, reorderFacts } from "../db/low-stock";
import { addDays, localDay } from "../domain/local-day";
import { suggestReorder } from "../domain/reorder";
import { isoSeconds } from "../domain/time";
import { config } from "../platform/config";

/** The low-stock check over the stock mirror: one message to the vendor and one to ops per crossing. */
export async function runLowStockAlerts(env: Env, now: Date) {
  const cfg = config(env);
  return checkLowStock(database(env), { at: isoSeconds(now), whatsapp: !!cfg.whatsapp, email: !!cfg.email });
}

/** Sales velocity is read over the last four weeks, up to yesterday (today is still selling). */
export const VELOCITY_WINDOW_DAYS = 28;
/** After a reorder arrives, it should last this long. */
export const COVER_DAYS = 14;

/** Each active SKU of the vendor with its suggestion, the ones to order soonest first. */
export async function reorderSuggestions(env: Env, vendorId: string, now: Date): Promise<ReorderSuggestions> {
  const today = localDay(now, config(env).timeZone);
  const to = addDays(today, -1);
  const facts = await reorderFacts(database(env), vendorId, { from: addDays(to, 1 - VELOCITY_WINDOW_DAYS), to });
  const items = facts.skus.map((s) => {
    const unitsSold = facts.sold.get(s.skuId) ?? 0;
    const available = Number(s.available);
    return {
      skuId: s.skuId,
      code: s.code,
      title: s.title,
      available,
      lowStockThreshold: s.lowStockThreshold,
      low: Boolean(s.low),
      leadTimeDays: s.leadTimeDays,
      unitsSold,
      ...suggestReorder({
        available,
        unitsSold,
        windowDays: VELOCITY_WINDOW_DAYS,
        leadTimeDays: s.leadTimeDays,
        coverDays: COVER_DAYS,
        today,
      }),
    };
  });
  items.sort(
    (a, b) =>
      (a.orderBy ?? "9999-12-31").localeCompare(b.orderBy ?? "9999-12-31") ||
      b.quantity - a.quantity ||
      a.skuId.localeCompare(b.skuId),
  );
  return { vendorId, asOf: facts.asOf, windowDays: VELOCITY_WINDOW_DAYS, coverDays: COVER_DAYS, items };
}
