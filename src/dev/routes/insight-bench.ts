import { z } from "@hono/zod-openapi";
import { RollupRun } from "../../contracts/analytics";
import { IsoTime, json, jsonBody, problemResponses } from "../../contracts/common";
import { uniqueViolation } from "../../db/constraints";
import { router } from "../../http/context";
import { ApiError } from "../../http/errors";
import { defineRoute } from "../../http/route";
import { drainRollups, seedInsightCatalog, seedInsightOrders, seedInsightQuarterHour } from "../insight-bench";

const Tag = z.string().regex(/^[a-z0-9]{1,24}$/, "1 to 24 lower-case letters and digits");
const Days = z.number().int().min(1).max(3650);

const catalog = defineRoute({
  method: "post",
  path: "/bench/insight/catalog",
  access: ["admin"],
  summary: "Benchmark only: the analytics benchmark's vendors, SKUs and stock mirror (development)",
  request: jsonBody(z.object({ tag: Tag, at: IsoTime }).strict()),
  responses: { 201: json(z.object({ customerId: z.string() }), "Written"), ...problemResponses },
});

const orders = defineRoute({
  method: "post",
  path: "/bench/insight/orders",
  access: ["admin"],
  summary: "Benchmark only: a slice of the analytics benchmark's order history (development)",
  request: jsonBody(
    z
      .object({
        tag: Tag,
        from: z.number().int().min(0).max(100_000_000),
        count: z.number().int().min(1).max(100_000),
        days: Days,
        at: IsoTime,
      })
      .strict(),
  ),
  responses: { 201: json(z.object({ orders: z.number() }), "Written"), ...problemResponses },
});

const quarterHour = defineRoute({
  method: "post",
  path: "/bench/insight/quarter-hour",
  access: ["admin"],
  summary: "Benchmark only: fifteen minutes of new orders and late returns on the history (development)",
  request: jsonBody(
    z
      .object({
        tag: Tag,
        total: z.number().int().min(1).max(100_000_000),
        orders: z.number().int().min(1).max(100_000),
        lateChanges: z.number().int().min(1).max(100_000),
        days: Days,
        at: IsoTime,
      })
      .strict(),
  ),
  responses: { 201: json(z.object({ ok: z.literal(true) }), "Written"), ...problemResponses },
});

const refresh = defineRoute({
  method: "post",
  path: "/bench/insight/refresh",
  access: ["admin"],
  summary: "Benchmark only: run roll-up refresh pages in this request (development)",
  description:
    "With `rebuild`, a full rebuild starts first (as the admin route's, without handing pages to the queue); at most `maxPages` pages run, `last.continued` says more is left.",
  request: jsonBody(
    z
      .object({
        at: IsoTime,
        rebuild: z.boolean().default(false),
        maxPages: z.number().int().min(1).max(1000).default(3),
      })
      .strict(),
  ),
  responses: { 200: json(z.object({ pages: z.number(), last: RollupRun }), "Caught up"), ...problemResponses },
});

/** A seed's refusals by the constraints: rows of this tag written before, or its catalog missing. */
async function seeding<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (uniqueViolation(err)) throw new ApiError("CONFLICT", "These rows of this tag were seeded before");
    if (/FOREIGN KEY constraint failed/.test(err instanceof Error ? err.message : ""))
      throw new ApiError("NOT_FOUND", "No catalog seeded under this tag");
    throw err;
  }
}

export const insightBench = router()
  .openapi(catalog, async (c) => {
    const body = c.req.valid("json");
    return c.json(await seeding(() => seedInsightCatalog(c.env, body.tag, new Date(body.at))), 201);
  })
  .openapi(orders, async (c) => {
    const body = c.req.valid("json");
    return c.json(await seeding(() => seedInsightOrders(c.env, { ...body, at: new Date(body.at) })), 201);
  })
  .openapi(quarterHour, async (c) => {
    const body = c.req.valid("json");
    await seeding(() => seedInsightQuarterHour(c.env, { ...body, at: new Date(body.at) }));
    return c.json({ ok: true as const }, 201);
  })
  .openapi(refresh, async (c) => {
    const body = c.req.valid("json");
    return c.json(await drainRollups(c.env, new Date(body.at), body), 200);
  });
