// The development entry: the production Worker plus the routes that must never be deployed
// (benchmarks, the payment simulator's settle route, the job run that moves the clock).
// `bun run dev`, `bun run start`, the benchmark, the browser tests and vitest run this entry;
// wrangler.toml's `main` stays src/index.ts, so a deploy never bundles src/dev.
import { createApp } from "../app";
import { jobRun } from "../http/routes/admin";
import { worker } from "../worker";
import { bench } from "./routes/bench";
import { bridgeBench } from "./routes/bridge-bench";
import { insightBench } from "./routes/insight-bench";
import { jobRunAt } from "./routes/job-run";
import { routingBench } from "./routes/routing-bench";
import { simulatePayments } from "./routes/simulate";

export { AddressLimits } from "../../durable-objects/address-limits";
export { Feed } from "../../durable-objects/feed";
export { SkuStock } from "../../durable-objects/sku-stock";

// jobRunAt answers at production's job-run path in its place, so callers have one route.
const handlers = worker(
  createApp([simulatePayments, routingBench, bench, bridgeBench, insightBench, jobRunAt], [jobRun]),
);
export default handlers;

// `bun run start`'s direct socket (OMS_DIRECT_SOCKET) hands requests to this entrypoint as the edge
// hands them to a deployed Worker, without Miniflare's entry worker and assets router in between:
// with `run_worker_first` those only forward, at about 1 ms of workerd CPU per request. The
// default entrypoint cannot be reached that way while assets are configured.
export const direct = { fetch: handlers.fetch } satisfies ExportedHandler<Env>;
