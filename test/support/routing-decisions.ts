import { env } from "cloudflare:test";

/**
 * The routing decision an order written straight into D1 carries: one line, one warehouse chosen
 * with `scores`, as the refit reads them back against the order's outcome.
 */
export function routingDecisionRow(
  orderId: string,
  vendorId: string,
  scores: Record<string, number>,
  createdAt: string,
) {
  const choice = { vendorId, warehouseId: `wh_${vendorId}`, skuId: `sku_${vendorId}` };
  return env.DB.prepare(
    "insert into routing_decisions (order_id, weights_version, explanation, created_at) values (?, 1, ?, ?)",
  ).bind(
    orderId,
    JSON.stringify({
      weightsVersion: 1,
      lines: [{ lineIndex: 0, chosen: [{ ...choice, qty: 1 }], candidates: [{ ...choice, scores, total: 0.8 }] }],
    }),
    createdAt,
  );
}
