import type { ProductImportMessage } from "../contracts/events";

/** Hands a product import's page to a consumer invocation of its own (see `ProductImportMessage`). */
export async function sendImportPage(env: Env, next: Omit<ProductImportMessage, "type">): Promise<void> {
  const body: ProductImportMessage = { type: "product-import.page", ...next };
  await env.ORDER_EVENTS.send(body, { contentType: "json" });
}
