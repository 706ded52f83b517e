import { json, jsonBody, problemResponses } from "../../contracts/common";
import { RoutingBenchBody, RoutingBenchResult } from "../../contracts/routing";
import { router } from "../../http/context";
import { defineRoute } from "../../http/route";
import { benchDecision } from "../routing-bench";

const bench = defineRoute({
  method: "post",
  path: "/routing/bench",
  access: ["admin"],
  summary: "Benchmark only: time the routing decision inside the Worker (development)",
  description: "Plans and explains synthetic carts (product lines offered by every vendor).",
  request: jsonBody(RoutingBenchBody),
  responses: { 200: json(RoutingBenchResult, "Timings in milliseconds"), ...problemResponses },
});

export const routingBench = router().openapi(bench, (c) => c.json(benchDecision(c.req.valid("json")), 200));
