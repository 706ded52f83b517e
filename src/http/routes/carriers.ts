import { z } from "@hono/zod-openapi";
import { json, problemResponses } from "../../contracts/common";
import { Carrier } from "../../contracts/fulfillment";
import { database } from "../../db/client";
import { listCarriers } from "../../db/sub-orders";
import { router } from "../context";
import { defineRoute } from "../route";

const list = defineRoute({
  method: "get",
  path: "/carriers",
  access: ["admin", "ops", "vendor", "customer"],
  summary: "Carriers a sub-order can be dispatched with, and their AWB formats",
  responses: { 200: json(z.object({ items: z.array(Carrier) }), "The carriers"), ...problemResponses },
});

export const carriers = router().openapi(list, async (c) => {
  const rows = await listCarriers(database(c.env));
  return c.json(
    { items: rows.map(({ code, name, awbPattern, awbExample }) => ({ code, name, awbPattern, awbExample })) },
    200,
  );
});
