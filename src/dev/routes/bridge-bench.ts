import { z } from "@hono/zod-openapi";
import { Id, json, jsonBody, problemResponses } from "../../contracts/common";
import { router } from "../../http/context";
import { ApiError } from "../../http/errors";
import { defineRoute } from "../../http/route";
import { bridgeBenchProgress, seedBridgeRows } from "../bridge-bench";

const seed = defineRoute({
  method: "post",
  path: "/bench/bridge",
  access: ["admin"],
  summary: "Benchmark only: stage many inventory-bridge rows (development)",
  description: "`skus` SKUs of the vendor written into D1 under ids tagged `tag`, and `rowsPerSku` staged rows each.",
  request: jsonBody(
    z
      .object({
        tag: z.string().regex(/^[a-z0-9]{1,24}$/),
        vendorId: Id,
        productId: Id,
        warehouseId: Id,
        skus: z.number().int().min(1).max(20_000),
        rowsPerSku: z.number().int().min(1).max(1_000),
      })
      .strict(),
  ),
  responses: { 201: json(z.object({ skus: z.number(), rows: z.number() }), "Staged"), ...problemResponses },
});

const progress = defineRoute({
  method: "get",
  path: "/bench/bridge/{vendorId}",
  access: ["admin"],
  summary: "Benchmark only: the vendor's staged and applied rows, and the reconcile pages since `since`",
  request: { params: z.object({ vendorId: Id }), query: z.object({ since: z.coerce.number().int().min(0) }) },
  responses: { 200: json(z.record(z.string(), z.number().nullable()), "Progress"), ...problemResponses },
});

export const bridgeBench = router()
  .openapi(seed, async (c) => {
    const seeded = await seedBridgeRows(c.env, c.req.valid("json"));
    if (!seeded.ok && seeded.code === "TAG_USED")
      throw new ApiError("CONFLICT", "This tag was seeded before; pick another");
    if (!seeded.ok) throw new ApiError("NOT_FOUND", "No such product, or no such warehouse of this vendor");
    return c.json({ skus: seeded.skus, rows: seeded.rows }, 201);
  })
  .openapi(progress, async (c) =>
    c.json(await bridgeBenchProgress(c.env, c.req.valid("param").vendorId, c.req.valid("query").since), 200),
  );
