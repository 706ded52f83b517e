import { z } from "@hono/zod-openapi";
import { config } from "../../config";
import { Id, json, jsonBody, problemResponses } from "../../contracts/common";
import { stockObject } from "../../gateways/stock";
import { router } from "../context";
import { ApiError } from "../errors";
import { defineRoute } from "../route";

const HOLD_SECONDS = 60;

const claim = defineRoute({
  method: "post",
  path: "/bench/claim/{skuId}",
  access: "public",
  summary: "Benchmark only: one bare stock claim (local development only)",
  description:
    "Makes the single reserve RPC a checkout makes, and nothing else: the ceiling checkout throughput is measured against. 404 unless ENVIRONMENT=development.",
  request: {
    params: z.object({ skuId: Id }),
    ...jsonBody(z.object({ warehouses: z.array(Id).min(1).max(20) }).strict()),
  },
  responses: { 201: json(z.object({ ok: z.literal(true) }), "Claimed"), ...problemResponses },
});

export const bench = router().openapi(claim, async (c) => {
  if (!config(c.env).isDev) throw new ApiError("NOT_FOUND", "Benchmark routes exist only in local development");
  const { skuId } = c.req.valid("param");
  const result = await stockObject(c.env, skuId).reserve({
    skuId,
    holdId: `bench_${crypto.randomUUID()}`,
    qty: 1,
    warehouses: c.req.valid("json").warehouses,
    expiresAt: Date.now() + HOLD_SECONDS * 1000,
  });
  if (!result.ok) throw new ApiError("OUT_OF_STOCK", result.code);
  return c.json({ ok: true as const }, 201);
});
