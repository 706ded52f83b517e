import type { PlatformAnalytics, TopVendors, VendorAnalytics, VendorProductSales } from "@contracts/analytics";
import { BULK_NOT_STARTED, MAX_BULK_IDS } from "@contracts/common";
import type { FeedTicket } from "@contracts/feeds";
import type { OpsAlert } from "@contracts/ops-alerts";
import type { CancelReason, PaymentView } from "@contracts/orders";
import type { ReorderSuggestions } from "@contracts/reorder";
import { recordServerDate } from "./hold-expiry";
import type {
  BridgeReport,
  BridgeSecret,
  BulkResults,
  Carrier,
  CatalogProduct,
  CatalogSku,
  CheckoutBody,
  CheckoutResult,
  CreatedCustomer,
  Me,
  Onboarding,
  OrderCounts,
  OrderPage,
  OrderStatus,
  OrderSummary,
  OrderView,
  Page,
  PayoutAccountSetup,
  PayoutAccountStatus,
  PayoutRun,
  PlatformEarnings,
  ProblemBody,
  ProductImage,
  ProductImport,
  SaveStep,
  Sku,
  StockLevels,
  SubOrderDetail,
  SubOrderEarnings,
  SubOrderSummary,
  Vendor,
  VendorEarnings,
  VendorPayout,
  Warehouse,
} from "./types";

/** An answer that is not 2xx, carrying the API's problem+json body (or one made up for it). */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly problem: ProblemBody,
  ) {
    super(problem.detail || problem.title);
    this.name = "ApiProblem";
  }
  get code(): string {
    return this.problem.code;
  }
}

type Query = Record<string, string | number | undefined | null>;
/** Days (YYYY-MM-DD) in the marketplace's time zone; both optional, the API's default is the last 30. */
type AnalyticsRange = { from?: string; to?: string };
type RequestOptions = {
  token?: string | null;
  body?: unknown;
  /** Sent as-is (e.g. a photo) instead of JSON. */
  raw?: Blob;
  query?: Query;
  headers?: Record<string, string>;
  signal?: AbortSignal;
};

function urlOf(path: string, query?: Query): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null && v !== "") qs.set(k, String(v));
  const s = qs.toString();
  return s ? `${path}?${s}` : path;
}

function madeUpProblem(status: number, code: string, title: string, detail: string): ProblemBody {
  return { type: "about:blank", title, status, detail, code, requestId: "" };
}

async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const headers = new Headers(opts.headers);
  headers.set("accept", "application/json, application/problem+json");
  if (opts.token) headers.set("authorization", `Bearer ${opts.token}`);
  let body: string | Blob | undefined = opts.raw;
  if (opts.raw) {
    headers.set("content-type", opts.raw.type || "application/octet-stream");
  } else if (opts.body !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(opts.body);
  }
  let res: Response;
  try {
    res = await fetch(urlOf(path, opts.query), { method, headers, body, signal: opts.signal });
  } catch (err) {
    if (err instanceof DOMException && err.name === "AbortError") throw err;
    throw new ApiProblem(0, madeUpProblem(0, "NETWORK_ERROR", "Network error", "The server could not be reached."));
  }
  recordServerDate(res.headers.get("date"));
  const text = await res.text();
  let parsed: unknown = null;
  if (text && /json/i.test(res.headers.get("content-type") ?? "")) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = null;
    }
  }
  if (!res.ok) {
    const p = parsed as Partial<ProblemBody> | null;
    if (p && typeof p.code === "string") throw new ApiProblem(res.status, p as ProblemBody);
    throw new ApiProblem(
      res.status,
      madeUpProblem(res.status, `HTTP_${res.status}`, res.statusText || "Request failed", `${method} ${path}`),
    );
  }
  return parsed as T;
}

/** A whole list, page after page, kept as one page so callers read `items` as usual. */
function everyPage<T>(path: string, token: string, signal?: AbortSignal, query: Record<string, string> = {}) {
  return leadingRows<T>(path, token, Number.POSITIVE_INFINITY, signal, query);
}

/**
 * A list's first `count` rows, read afresh page after page; `nextCursor` is set when more follow.
 * A "Show more" list asks for more rows rather than the next page, so a reload while rows arrive
 * above neither drops the row they push past a page's end nor repeats one.
 */
async function leadingRows<T>(
  path: string,
  token: string,
  count: number,
  signal?: AbortSignal,
  query: Record<string, string> = {},
): Promise<Page<T>> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<T> = await request<Page<T>>("GET", path, {
      token,
      query: { ...query, limit: Math.min(200, count - items.length), cursor },
      signal,
    });
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && items.length < count);
  return { items, nextCursor: cursor };
}

export const api = {
  catalog(
    query: { search?: string; vendorId?: string; productId?: string; limit?: number; cursor?: string | null },
    signal?: AbortSignal,
  ) {
    return request<Page<CatalogSku>>("GET", "/v1/catalog/skus", { query, signal });
  },
  catalogProducts(query: { search?: string; limit?: number; cursor?: string | null }, signal?: AbortSignal) {
    return request<Page<CatalogProduct>>("GET", "/v1/catalog/products", { query, signal });
  },
  createCustomer(body: { name: string; email?: string; phone?: string }) {
    return request<CreatedCustomer>("POST", "/v1/customers", { body });
  },
  checkout(token: string, body: CheckoutBody, idempotencyKey: string) {
    return request<CheckoutResult>("POST", "/v1/checkout", {
      token,
      body,
      headers: { "idempotency-key": idempotencyKey },
    });
  },
  simulatePayment(token: string, paymentId: string, outcome: "succeeded" | "failed" | "canceled") {
    return request<unknown>("POST", `/v1/payments/${encodeURIComponent(paymentId)}/simulate`, {
      token,
      body: { outcome },
    });
  },
  cancelOrder(token: string, orderId: string, reason: CancelReason, idempotencyKey: string) {
    return request<OrderView>("POST", `/v1/orders/${encodeURIComponent(orderId)}/cancel`, {
      token,
      body: { reason },
      headers: { "idempotency-key": idempotencyKey },
    });
  },
  order(token: string, orderId: string, signal?: AbortSignal) {
    return request<OrderView>("GET", `/v1/orders/${encodeURIComponent(orderId)}`, { token, signal });
  },
  /** An unpaid order's payment, as checkout's 201 carried it; 409 once it is paid or cancelled. */
  orderPayment(token: string, orderId: string, signal?: AbortSignal) {
    return request<PaymentView>("GET", `/v1/orders/${encodeURIComponent(orderId)}/payment`, { token, signal });
  },
  orders(
    token: string,
    query: {
      status?: OrderStatus | "";
      limit?: number;
      cursor?: string | null;
      vendorId?: string;
      warehouseId?: string;
      from?: string;
      to?: string;
      held?: "true";
      sort?: string;
    },
    signal?: AbortSignal,
  ) {
    return request<OrderPage>("GET", "/v1/orders", { token, query: { limit: 50, ...query }, signal });
  },
  /** The `count` newest orders the caller may list (a customer's own), page after page. */
  newestOrders(token: string, count: number, signal?: AbortSignal) {
    return leadingRows<OrderSummary>("/v1/orders", token, count, signal);
  },
  orderCounts(
    token: string,
    query: { vendorId?: string; warehouseId?: string; from?: string; to?: string; held?: "true" },
    signal?: AbortSignal,
  ) {
    return request<OrderCounts>("GET", "/v1/orders/counts", { token, query, signal });
  },
  me(token: string, signal?: AbortSignal) {
    return request<Me>("GET", "/v1/me", { token, signal });
  },
  /** Every vendor (a vendor token sees only itself), for pickers: all pages, by name. */
  vendors(token: string, signal?: AbortSignal) {
    return everyPage<Vendor>("/v1/vendors", token, signal);
  },
  payoutAccount(token: string, vendorId: string, signal?: AbortSignal) {
    return request<PayoutAccountStatus>("GET", `/v1/vendors/${encodeURIComponent(vendorId)}/payout-account`, {
      token,
      signal,
    });
  },
  /** Creates the payout account if there is none; answers a one-time onboarding link to open at once. */
  setUpPayouts(token: string, vendorId: string) {
    return request<PayoutAccountSetup>("POST", `/v1/vendors/${encodeURIComponent(vendorId)}/payout-account`, {
      token,
    });
  },
  warehouses(token: string, vendorId: string, signal?: AbortSignal) {
    return everyPage<Warehouse>(`/v1/vendors/${encodeURIComponent(vendorId)}/warehouses`, token, signal);
  },
  /**
   * A vendor's first `count` sub-orders of a status, as its work queue: earliest dispatch deadline
   * first, read afresh page after page so a "Show more" reaches every one (see `leadingRows`).
   */
  subOrders(token: string, query: { status: string }, count: number, signal?: AbortSignal) {
    return leadingRows<SubOrderSummary>("/v1/sub-orders", token, count, signal, { ...query, sort: "slaDispatchBy" });
  },
  subOrder(token: string, id: string, signal?: AbortSignal) {
    return request<SubOrderDetail>("GET", `/v1/sub-orders/${encodeURIComponent(id)}`, { token, signal });
  },
  /** confirm, pack {scanned}, dispatch {carrier, awb}, deliver, cancel {reason} */
  subOrderStep(token: string, id: string, step: string, body?: unknown) {
    return request<SubOrderDetail>("POST", `/v1/sub-orders/${encodeURIComponent(id)}/${step}`, { token, body });
  },
  /** A dispatched parcel's label corrected; the key is the correction's, kept for its retries. */
  correctAwb(token: string, id: string, body: { carrier: string; awb: string }, idempotencyKey: string) {
    return request<SubOrderDetail>("POST", `/v1/sub-orders/${encodeURIComponent(id)}/awb`, {
      token,
      body,
      headers: { "idempotency-key": idempotencyKey },
    });
  },
  uploadPhoto(token: string, id: string, photo: Blob) {
    return request<unknown>("PUT", `/v1/sub-orders/${encodeURIComponent(id)}/photo`, { token, raw: photo });
  },
  /** A product CSV: validated at once, applied in the background; poll `productImport` for progress. */
  uploadProducts(token: string, csv: Blob) {
    return request<ProductImport>("POST", "/v1/product-imports", { token, raw: new Blob([csv], { type: "text/csv" }) });
  },
  productImport(token: string, id: string, signal?: AbortSignal) {
    return request<ProductImport>("GET", `/v1/product-imports/${encodeURIComponent(id)}`, { token, signal });
  },
  productImports(token: string, signal?: AbortSignal) {
    return request<{ items: ProductImport[] }>("GET", "/v1/product-imports", { token, signal });
  },
  productImages(productId: string, signal?: AbortSignal) {
    return request<{ items: ProductImage[] }>("GET", `/v1/products/${encodeURIComponent(productId)}/images`, {
      signal,
    });
  },
  /** The photo's bytes as they are; the server reads their type and resizes them. */
  addProductImage(token: string, productId: string, photo: Blob) {
    return request<ProductImage>("POST", `/v1/products/${encodeURIComponent(productId)}/images`, { token, raw: photo });
  },
  carriers(token: string, signal?: AbortSignal) {
    return request<{ items: Carrier[] }>("GET", "/v1/carriers", { token, signal });
  },
  /** Every SKU of the vendor, page after page: a stock count finds any of them by barcode. */
  skus(token: string, vendorId: string, signal?: AbortSignal) {
    return everyPage<Sku>("/v1/skus", token, signal, { vendorId });
  },
  stock(token: string, skuId: string, signal?: AbortSignal) {
    return request<StockLevels>("GET", `/v1/skus/${encodeURIComponent(skuId)}/stock`, { token, signal });
  },
  /**
   * A count names the level's `version` it was made against (0 for a new level); a moved one answers
   * 412. It goes under the key of that count: sent again (a double tap, a lost answer), it is the same count.
   */
  setStock(
    token: string,
    skuId: string,
    body: { warehouseId: string; onHand: number; expectedVersion: number; reason: "count" },
    idempotencyKey: string,
  ) {
    return request<StockLevels>("PUT", `/v1/skus/${encodeURIComponent(skuId)}/stock`, {
      token,
      body,
      headers: { "idempotency-key": idempotencyKey },
    });
  },
  bridgeReport(token: string, vendorId: string, signal?: AbortSignal) {
    return request<BridgeReport>("GET", `/v1/vendors/${encodeURIComponent(vendorId)}/inventory-bridge`, {
      token,
      signal,
    });
  },
  /** The new secret is in this answer only. */
  rotateBridgeSecret(token: string, vendorId: string) {
    return request<BridgeSecret>("POST", `/v1/vendors/${encodeURIComponent(vendorId)}/inventory-bridge/secret`, {
      token,
    });
  },
  /**
   * A selection larger than one request may name goes in groups, one after another; the ids a
   * request did not start (the ids before them spent its share of the Worker's limits; nothing was
   * done for them) lead the next. Sub-orders need an Idempotency-Key: each request is sent under the
   * key and its number, so sending the same selection again with the same key sends the same
   * requests and acts on nothing twice. A request that fails stops the rest, and the answer still
   * carries what the requests before it did (orders cancelled and refunded are done whatever came
   * after), with the error and the ids of that request and those after it in `stopped`: of those,
   * none after it was sent, and its own may or may not have been acted on.
   */
  async bulk(
    token: string,
    target: "orders" | "sub-orders",
    body: { ids: string[] } & Record<string, unknown>,
    idempotencyKey?: string,
  ): Promise<BulkResults & { stopped?: { error: unknown; ids: string[] } }> {
    type Result = BulkResults["results"][number];
    const results = new Array<Result | undefined>(body.ids.length);
    const answered = () => results.filter((r): r is Result => r !== undefined);
    // Positions in body.ids, so an id named twice keeps both its answers.
    let pending = body.ids.map((_, i) => i);
    for (let n = 0; pending.length > 0; n++) {
      const group = pending.slice(0, MAX_BULK_IDS);
      let page: BulkResults;
      try {
        page = await request<BulkResults>("POST", `/v1/${target}/bulk`, {
          token,
          body: { ...body, ids: group.map((i) => body.ids[i]) },
          ...(idempotencyKey ? { headers: { "idempotency-key": `${idempotencyKey}.${n}` } } : {}),
        });
      } catch (error) {
        return { results: answered(), stopped: { error, ids: pending.map((i) => body.ids[i]!) } };
      }
      const again = group.filter((_, j) => page.results[j]?.problem?.code === BULK_NOT_STARTED);
      // The first id of a request always starts: one that started none is answered as it is, not sent forever.
      const resend = again.length < group.length ? again : [];
      group.forEach((i, j) => {
        if (!resend.includes(i)) results[i] = page.results[j];
      });
      pending = [...resend, ...pending.slice(group.length)];
    }
    return { results: answered() };
  },
  earnings(token: string, vendorId: string, signal?: AbortSignal) {
    return request<VendorEarnings>("GET", `/v1/vendors/${encodeURIComponent(vendorId)}/earnings`, { token, signal });
  },
  earningsSubOrders(token: string, vendorId: string, count: number, signal?: AbortSignal) {
    const path = `/v1/vendors/${encodeURIComponent(vendorId)}/earnings/sub-orders`;
    return leadingRows<SubOrderEarnings>(path, token, count, signal);
  },
  platformEarnings(token: string, signal?: AbortSignal) {
    return request<PlatformEarnings>("GET", "/v1/admin/earnings", { token, signal });
  },
  /** Opens an invite or a sign-in link (the secret from its #fragment) for a vendor session. */
  redeemVendorLink(kind: "invite" | "sign-in", secret: string) {
    const path = kind === "invite" ? "/v1/onboarding/invites/accept" : "/v1/onboarding/sign-in";
    return request<{ vendorId: string; token: string; expiresAt: string }>("POST", path, { body: { token: secret } });
  },
  /** Ends this session: the token is revoked, not only forgotten by this browser. */
  signOut(token: string) {
    return request<null>("DELETE", "/v1/tokens/current", { token });
  },
  requestSignInLink(email: string) {
    return request<{ status: string }>("POST", "/v1/onboarding/sign-in-links", { body: { email } });
  },
  inviteVendor(token: string, body: { email: string; businessName?: string }) {
    return request<{ id: string; email: string; link: string; expiresAt: string }>("POST", "/v1/onboarding/invites", {
      token,
      body,
    });
  },
  onboarding(token: string, vendorId: string, signal?: AbortSignal) {
    return request<Onboarding>("GET", `/v1/onboarding/${encodeURIComponent(vendorId)}`, { token, signal });
  },
  /** The first `count` onboardings in `state`, by name ("Show more" asks for more: see `leadingRows`). */
  onboardings(token: string, state: string, count: number, signal?: AbortSignal) {
    return leadingRows<Onboarding>("/v1/onboarding", token, count, signal, { state });
  },
  saveOnboardingStep(token: string, vendorId: string, body: SaveStep) {
    return request<Onboarding>("PUT", `/v1/onboarding/${encodeURIComponent(vendorId)}/step`, { token, body });
  },
  submitOnboarding(token: string, vendorId: string) {
    return request<Onboarding>("POST", `/v1/onboarding/${encodeURIComponent(vendorId)}/submit`, { token });
  },
  decideOnboarding(
    token: string,
    vendorId: string,
    body: { decision: "approve" } | { decision: "reject"; reason: string },
  ) {
    return request<Onboarding>("POST", `/v1/onboarding/${encodeURIComponent(vendorId)}/decision`, { token, body });
  },
  updateWarehouse(token: string, warehouseId: string, body: { status: "active" | "inactive" }) {
    return request<Warehouse>("PATCH", `/v1/warehouses/${encodeURIComponent(warehouseId)}`, { token, body });
  },
  createWarehouse(
    token: string,
    vendorId: string,
    body: { name: string; postalCode: string; country: string; lat?: number; lng?: number },
    idempotencyKey: string,
  ) {
    return request<Warehouse>("POST", `/v1/vendors/${encodeURIComponent(vendorId)}/warehouses`, {
      token,
      body,
      headers: { "idempotency-key": idempotencyKey },
    });
  },
  createProduct(token: string, body: { title: string }, idempotencyKey: string) {
    return request<{ id: string; title: string }>("POST", "/v1/products", {
      token,
      body,
      headers: { "idempotency-key": idempotencyKey },
    });
  },
  createSku(token: string, body: Record<string, unknown>, idempotencyKey: string) {
    return request<Sku>("POST", "/v1/skus", { token, body, headers: { "idempotency-key": idempotencyKey } });
  },
  /** The first `count` payout runs, newest first ("Show more" asks for more: see `leadingRows`). */
  payoutRuns(token: string, count: number, signal?: AbortSignal) {
    return leadingRows<PayoutRun>("/v1/payouts/runs", token, count, signal);
  },
  /** The vendor's first `count` payouts, newest first ("Show more" asks for more: see `leadingRows`). */
  vendorPayouts(token: string, vendorId: string, count: number, signal?: AbortSignal) {
    return leadingRows<VendorPayout>(`/v1/vendors/${encodeURIComponent(vendorId)}/payouts`, token, count, signal);
  },
  /** The first `count` ops alerts, newest first ("Show more" asks for more: see `leadingRows`). */
  opsAlerts(token: string, count: number, signal?: AbortSignal) {
    return leadingRows<OpsAlert>("/v1/ops-alerts", token, count, signal);
  },
  platformAnalytics(token: string, query: AnalyticsRange, signal?: AbortSignal) {
    return request<PlatformAnalytics>("GET", "/v1/analytics/platform", { token, query, signal });
  },
  topVendors(token: string, query: AnalyticsRange & { limit?: number }, signal?: AbortSignal) {
    return request<TopVendors>("GET", "/v1/analytics/platform/top-vendors", { token, query, signal });
  },
  vendorAnalytics(token: string, vendorId: string, query: AnalyticsRange, signal?: AbortSignal) {
    return request<VendorAnalytics>("GET", `/v1/analytics/vendors/${encodeURIComponent(vendorId)}`, {
      token,
      query,
      signal,
    });
  },
  vendorProductSales(token: string, vendorId: string, query: AnalyticsRange, signal?: AbortSignal) {
    return request<VendorProductSales>("GET", `/v1/analytics/vendors/${encodeURIComponent(vendorId)}/products`, {
      token,
      query,
      signal,
    });
  },
  /** A single-use ticket that opens one live feed (`ops`, `vendor:<id>`, `sku:<id>`) for a few seconds. */
  feedTicket(token: string, feed: string, signal?: AbortSignal) {
    return request<FeedTicket>("POST", "/v1/feeds/tickets", { token, body: { feed }, signal });
  },
  reorderSuggestions(token: string, vendorId: string, signal?: AbortSignal) {
    return request<ReorderSuggestions>("GET", `/v1/vendors/${encodeURIComponent(vendorId)}/reorder-suggestions`, {
      token,
      signal,
    });
  },
  setLeadTime(token: string, skuId: string, leadTimeDays: number) {
    return request<{ skuId: string; leadTimeDays: number }>("PUT", `/v1/skus/${encodeURIComponent(skuId)}/lead-time`, {
      token,
      body: { leadTimeDays },
    });
  },
};

/** RFC 4122 v4; crypto.randomUUID exists only in secure contexts (not plain http on a LAN address). */
export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
