import type { ProductImportMessage } from "../contracts/events";

/**
 * Hands a product import's page to a consumer invocation of its own (see `ProductImportMessage`),
 * `delaySeconds` later if given.
 */
export async function sendImportPage(
  env: Env,
  next: Omit<ProductImportMessage, "type">,
  delaySeconds?: number,
): Promise<void> {
  const body: ProductImportMessage = { type: "product-import.page", ...next };
  await env.ORDER_EVENTS.send(body, { contentType: "json", ...(delaySeconds ? { delaySeconds } : {}) });
}
