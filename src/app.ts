import type { OpenAPIHono } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { requestId } from "hono/request-id";
import { MAX_IMAGE_BYTES, MAX_IMPORT_BYTES } from "./contracts/product-imports";
import { authenticate } from "./http/auth";
import { type AppEnv, router } from "./http/context";
import { ApiError, onError, problem } from "./http/errors";
import { replayableWrites } from "./http/idempotency";
import { requireJsonBody } from "./http/media-type";
import { methodNotAllowed } from "./http/method-not-allowed";
import { admin, jobRun } from "./http/routes/admin";
import { analytics } from "./http/routes/analytics";
import { bulk } from "./http/routes/bulk";
import { carrierWebhooks } from "./http/routes/carrier-webhooks";
import { carriers } from "./http/routes/carriers";
import { catalog } from "./http/routes/catalog";
import { checkout } from "./http/routes/checkout";
import { customers } from "./http/routes/customers";
import { deadLetters } from "./http/routes/dead-letters";
import { docs } from "./http/routes/docs";
import { earnings } from "./http/routes/earnings";
import { fileExports } from "./http/routes/exports";
import { feeds } from "./http/routes/feeds";
import { health } from "./http/routes/health";
import { inventoryBridge } from "./http/routes/inventory-bridge";
import { me } from "./http/routes/me";
import { notifications } from "./http/routes/notifications";
import { onboarding } from "./http/routes/onboarding";
import { opsAlerts } from "./http/routes/ops-alerts";
import { orderReview } from "./http/routes/order-review";
import { orders } from "./http/routes/orders";
import { payoutAccounts } from "./http/routes/payout-accounts";
import { payouts } from "./http/routes/payouts";
import { pendingRefunds } from "./http/routes/pending-refunds";
import { MAX_PHOTO_BYTES, photos } from "./http/routes/photos";
import { postalCodes } from "./http/routes/postal-codes";
import { productImages } from "./http/routes/product-images";
import { productImports } from "./http/routes/product-imports";
import { products } from "./http/routes/products";
import { reorder } from "./http/routes/reorder";
import { routing } from "./http/routes/routing";
import { skus } from "./http/routes/skus";
import { stock } from "./http/routes/stock";
import { subOrders } from "./http/routes/sub-orders";
import { tokens } from "./http/routes/tokens";
import { vendors } from "./http/routes/vendors";
import { warehouses } from "./http/routes/warehouses";
import { webhooks } from "./http/routes/webhooks";
import { whatsappWebhooks } from "./http/routes/whatsapp-webhooks";
import { securityHeaders } from "./http/security-headers";
import { webAssets } from "./http/web-assets";

const limitTo = (maxSize: number) =>
  bodyLimit({ maxSize, onError: (c) => problem(c, new ApiError("PAYLOAD_TOO_LARGE")) });
const jsonLimit = limitTo(256 * 1024);
// Proof-of-shipment photos are the one large body; the route checks the bytes themselves.
const photoLimit = limitTo(MAX_PHOTO_BYTES);
// Product photos and product CSVs are large too; their routes check size and content themselves.
const imageLimit = limitTo(MAX_IMAGE_BYTES);
const csvLimit = limitTo(MAX_IMPORT_BYTES);
// Meta sends a webhook delivery of up to 3 MB (a batch of statuses after an outage) and resends a
// refused one until it gives up: a 413 there would lose every `failed` status in it, and its email.
const whatsappLimit = limitTo(3 * 1024 * 1024);

function bodyLimitFor(path: string) {
  if (/\/photo$/.test(path)) return photoLimit;
  if (/^\/v1\/products\/[^/]+\/images$/.test(path)) return imageLimit;
  if (path === "/v1/product-imports") return csvLimit;
  if (path === "/v1/webhooks/whatsapp") return whatsappLimit;
  return jsonLimit;
}

/**
 * The request id on the answer as it leaves: Hono's requestId sets it before any answer exists,
 * where only c.json, c.body and c.text pick it up; a Response built by hand (every problem+json,
 * idempotent replays, photos and downloads) would go without it, or carry another's.
 */
const requestIdOnAnswer: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  const id = c.get("requestId");
  // A WebSocket upgrade carries the socket, not a document; copying it would drop the socket.
  if (c.res.status === 101 || c.res.headers.get("X-Request-Id") === id) return;
  c.header("X-Request-Id", id);
};

/** One resource's sub-app, mounted at the root of /v1; each carries its own route schema type. */
export type Resource = OpenAPIHono<AppEnv, any, any>;

// Each resource's sub-app is chained and typed on its own; the whole API in one chained type is
// more than TypeScript can represent, so they are mounted in a loop.
const productionResources: readonly Resource[] = [
  health,
  tokens,
  me,
  customers,
  vendors,
  onboarding,
  payoutAccounts,
  warehouses,
  products,
  productImages,
  productImports,
  skus,
  stock,
  catalog,
  postalCodes,
  checkout,
  bulk,
  // Before orders, whose /orders/{orderId} would otherwise take "export" for an id.
  fileExports,
  orders,
  orderReview,
  subOrders,
  photos,
  carriers,
  routing,
  notifications,
  opsAlerts,
  feeds,
  webhooks,
  carrierWebhooks,
  whatsappWebhooks,
  inventoryBridge,
  deadLetters,
  pendingRefunds,
  earnings,
  payouts,
  admin,
  jobRun,
  analytics,
  reorder,
];

/**
 * The Worker's app: the production resources and `extra`, with `replaced` production resources
 * left out. What is mounted is exactly what /docs and /v1/openapi.json publish: the production
 * entry passes nothing, and only the development entry adds its routes.
 */
export function createApp(extra: readonly Resource[] = [], replaced: readonly Resource[] = []) {
  const api = router();
  for (const resource of productionResources) if (!replaced.includes(resource)) api.route("/", resource);
  for (const resource of extra) api.route("/", resource);

  const app = router();
  // Always ours, never the caller's (`limitLength: 0` refuses any it sends): a caller could
  // otherwise choose the id a 500 asks the user to quote, and the log line it names.
  app.use("*", requestId({ headerName: "X-Request-Id", limitLength: 0 }), requestIdOnAnswer);
  app.use("*", securityHeaders(), webAssets());
  app.onError(onError);
  const verified = authenticate();
  // The health check answers its 503 while D1 is down, a token it cannot look up served as anonymous.
  const bestEffort = authenticate({ bestEffort: true });
  app.use(
    "/v1/*",
    requireJsonBody(),
    (c, next) => bodyLimitFor(c.req.path)(c, next),
    (c, next) => (c.req.path === "/v1/health" ? bestEffort : verified)(c, next),
    replayableWrites(),
  );
  app.route("/v1", api);
  app.route("/", docs(api));
  app.notFound((c) => {
    const allowed = methodNotAllowed(api, c.req.method, c.req.path.replace(/^\/v1/, ""));
    if (allowed.length > 0) {
      return problem(
        c,
        new ApiError("METHOD_NOT_ALLOWED", `Allowed: ${allowed.join(", ")}`, {}, { Allow: allowed.join(", ") }),
      );
    }
    return problem(c, new ApiError("NOT_FOUND", `No route for ${c.req.method} ${c.req.path}`));
  });
  return app;
}
