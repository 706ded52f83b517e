import type {
  CatalogSku,
  CheckoutBody,
  CheckoutResult,
  CreatedCustomer,
  OrderPage,
  OrderStatus,
  OrderView,
  Page,
  ProblemBody,
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
type RequestOptions = {
  token?: string | null;
  body?: unknown;
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
  let body: string | undefined;
  if (opts.body !== undefined) {
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

export const api = {
  catalog(query: { search?: string; vendorId?: string; limit?: number; cursor?: string | null }, signal?: AbortSignal) {
    return request<Page<CatalogSku>>("GET", "/v1/catalog/skus", { query, signal });
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
    query: { status?: OrderStatus | ""; limit?: number; cursor?: string | null; vendorId?: string },
    signal?: AbortSignal,
  ) {
    return request<OrderPage>("GET", "/v1/orders", { token, query: { limit: 50, ...query }, signal });
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
