import { createExecutionContext, env } from "cloudflare:test";
import devWorker from "../../src/dev/index";
import productionWorker from "../../src/index";

export type Operation = { method: string; path: string; roles: string[] };

const METHODS = ["get", "put", "post", "delete", "patch"];
const key = (op: Operation) => `${op.method} ${op.path}`;

/** An entry's operations as its own /v1/openapi.json publishes them. */
async function operations(worker: typeof productionWorker): Promise<Operation[]> {
  const res = await worker.fetch(new Request("https://oms.test/v1/openapi.json"), env, createExecutionContext());
  const doc = (await res.json()) as { paths: Record<string, Record<string, { "x-roles": string[] }>> };
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, op]) => ({ method: method.toUpperCase(), path, roles: op["x-roles"] })),
  );
}

/**
 * The routes only the development entry mounts: its OpenAPI document less the production one's.
 * Whatever the two documents share, the dev document also lists every production route.
 */
export async function devOnlyOperations(): Promise<{ devOnly: Operation[]; missingFromDev: Operation[] }> {
  const [dev, production] = await Promise.all([operations(devWorker), operations(productionWorker)]);
  const devKeys = new Set(dev.map(key));
  const productionKeys = new Set(production.map(key));
  return {
    devOnly: dev.filter((op) => !productionKeys.has(key(op))),
    missingFromDev: production.filter((op) => !devKeys.has(key(op))),
  };
}

/** A concrete URL for an operation: path parameters filled, the query a GET route needs. */
export function urlOf(op: Operation): string {
  const path = `/v1${op.path.replace(/\{[^}]+\}/g, "x1")}`;
  return op.method === "GET" ? `${path}?at=2030-01-01T00:00:00Z` : path;
}

// Named so a test notices when a dev route goes missing from the development entry.
export const KNOWN_DEV_ROUTES = [
  "POST /bench/claim/{skuId}",
  "POST /bench/sla",
  "GET /bench/sla/{tag}",
  "POST /payments/{paymentId}/simulate",
  "POST /routing/bench",
];
