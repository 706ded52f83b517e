import type { PlatformAnalytics, TopVendors, VendorAnalytics, VendorProductSales } from "@contracts/analytics";
import { MAX_BULK_IDS } from "@contracts/common";
import type { FeedTicket } from "@contracts/feeds";
import type {
  BulkResults,
  Carrier,
  CatalogProduct,
  CatalogSku,
  CheckoutBody,
  CheckoutResult,
  CreatedCustomer,
  Me,
  OrderCounts,
  OrderPage,
  OrderStatus,
  OrderView,
  Page,
  ProblemBody,
  Sku,
  StockLevels,
  SubOrderDetail,
  SubOrderSummary,
  Vendor,
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
async function everyPage<T>(path: string, token: string, signal?: AbortSignal): Promise<Page<T>> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<T> = await request<Page<T>>("GET", path, { token, query: { limit: 200, cursor }, signal });
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return { items, nextCursor: null };
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
  order(token: string, orderId: string, signal?: AbortSignal) {
    return request<OrderView>("GET", `/v1/orders/${encodeURIComponent(orderId)}`, { token, signal });
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
      sort?: string;
    },
    signal?: AbortSignal,
  ) {
    return request<OrderPage>("GET", "/v1/orders", { token, query: { limit: 50, ...query }, signal });
  },
  orderCounts(
    token: string,
    query: { vendorId?: string; warehouseId?: string; from?: string; to?: string },
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
  warehouses(token: string, vendorId: string, signal?: AbortSignal) {
    return everyPage<Warehouse>(`/v1/vendors/${encodeURIComponent(vendorId)}/warehouses`, token, signal);
  },
  subOrders(token: string, query: { status?: string; cursor?: string | null; limit?: number }, signal?: AbortSignal) {
    return request<Page<SubOrderSummary>>("GET", "/v1/sub-orders", { token, query: { limit: 50, ...query }, signal });
  },
  subOrder(token: string, id: string, signal?: AbortSignal) {
    return request<SubOrderDetail>("GET", `/v1/sub-orders/${encodeURIComponent(id)}`, { token, signal });
  },
  /** confirm, pack {scanned}, dispatch {carrier, awb}, deliver, cancel {reason} */
  subOrderStep(token: string, id: string, step: string, body?: unknown) {
    return request<SubOrderDetail>("POST", `/v1/sub-orders/${encodeURIComponent(id)}/${step}`, { token, body });
  },
  uploadPhoto(token: string, id: string, photo: Blob) {
    return request<unknown>("PUT", `/v1/sub-orders/${encodeURIComponent(id)}/photo`, { token, raw: photo });
  },
  carriers(token: string, signal?: AbortSignal) {
    return request<{ items: Carrier[] }>("GET", "/v1/carriers", { token, signal });
  },
  skus(token: string, vendorId: string, signal?: AbortSignal) {
    return request<Page<Sku>>("GET", "/v1/skus", { token, query: { vendorId, limit: 200 }, signal });
  },
  stock(token: string, skuId: string, signal?: AbortSignal) {
    return request<StockLevels>("GET", `/v1/skus/${encodeURIComponent(skuId)}/stock`, { token, signal });
  },
  /** A count names the level's `version` it was made against (0 for a new level); a moved one answers 412. */
  setStock(
    token: string,
    skuId: string,
    body: { warehouseId: string; onHand: number; expectedVersion: number; reason: "count" },
  ) {
    return request<StockLevels>("PUT", `/v1/skus/${encodeURIComponent(skuId)}/stock`, { token, body });
  },
  /** A selection larger than one request may name goes in groups, one after another. */
  async bulk(token: string, target: "orders" | "sub-orders", body: { ids: string[] } & Record<string, unknown>) {
    const results: BulkResults["results"] = [];
    for (let i = 0; i < body.ids.length; i += MAX_BULK_IDS) {
      const ids = body.ids.slice(i, i + MAX_BULK_IDS);
      const page = await request<BulkResults>("POST", `/v1/${target}/bulk`, { token, body: { ...body, ids } });
      results.push(...page.results);
    }
    return { results };
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
