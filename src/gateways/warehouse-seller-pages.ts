import type { WarehouseSellersMessage } from "../contracts/events";

/** Hands a warehouse's next page of SKUs to re-announce to a consumer invocation of its own. */
export async function sendSellersPage(env: Env, next: Omit<WarehouseSellersMessage, "type">): Promise<void> {
  const body: WarehouseSellersMessage = { type: "warehouse-sellers.page", ...next };
  await env.ORDER_EVENTS.send(body, { contentType: "json" });
}
