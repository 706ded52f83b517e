// A small client for the OMS HTTP API used by the local scripts (seed, demo tokens, cron driver).
// Failures surface as ApiProblem with the problem+json fields, so callers can print them as-is.

export type Problem = {
  status: number;
  code?: string;
  title?: string;
  detail?: string;
  requestId?: string;
  errors?: { path: string; message: string }[];
};

export class ApiProblem extends Error {
  readonly method: string;
  readonly path: string;
  readonly problem: Problem;

  constructor(method: string, path: string, problem: Problem) {
    super(describe(method, path, problem));
    this.name = "ApiProblem";
    this.method = method;
    this.path = path;
    this.problem = problem;
  }
}

function describe(method: string, path: string, p: Problem): string {
  const head = `${method} ${path} -> ${p.status}${p.code ? ` ${p.code}` : ""}${p.detail ? `: ${p.detail}` : ""}`;
  const fields = (p.errors ?? []).map((e) => `\n    ${e.path || "(body)"}: ${e.message}`).join("");
  return `${head}${fields}${p.requestId ? `\n    (request ${p.requestId})` : ""}`;
}

export type RequestOptions = {
  token?: string;
  body?: unknown;
  /** Sent as-is with this content type instead of JSON. */
  raw?: { contentType: string; text: string };
  /** Extra headers, e.g. an Idempotency-Key. */
  headers?: Record<string, string>;
  timeoutMs?: number;
};

export type Api = {
  baseUrl: string;
  request<T = unknown>(method: string, path: string, options?: RequestOptions): Promise<T>;
};

export function api(baseUrl: string, defaultToken?: string): Api {
  return {
    baseUrl,
    async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
      const headers: Record<string, string> = { accept: "application/json", ...options.headers };
      const token = options.token ?? defaultToken;
      if (token) headers.authorization = `Bearer ${token}`;
      let body: string | undefined;
      if (options.raw) {
        headers["content-type"] = options.raw.contentType;
        body = options.raw.text;
      } else if (options.body !== undefined) {
        headers["content-type"] = "application/json";
        body = JSON.stringify(options.body);
      }
      let res: Response;
      try {
        res = await fetch(new URL(path, baseUrl), {
          method,
          headers,
          body,
          signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
        });
      } catch (err) {
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        const detail = `${String(err)}${cause ? ` (${cause.code ?? cause.message})` : ""}`;
        throw new ApiProblem(method, path, { status: 0, code: "NETWORK_ERROR", detail });
      }
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      if (!res.ok) {
        const p = (parsed && typeof parsed === "object" ? parsed : {}) as Partial<Problem>;
        throw new ApiProblem(method, path, {
          ...p,
          status: res.status,
          detail: p.detail ?? (text.slice(0, 300) || res.statusText),
        });
      }
      return parsed as T;
    },
  };
}

/** Runs `fn` over `items` with at most `limit` in flight; the first failure rejects (the rest still settle). */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>) {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed: unknown;
  async function worker() {
    while (next < items.length && failed === undefined) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!, i);
      } catch (err) {
        failed ??= err;
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed !== undefined) throw failed;
  return results;
}

/** Every item of a `{ items, nextCursor }` list. */
export async function listAll<T>(client: Api, path: string, token?: string): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  do {
    const url = new URL(path, client.baseUrl);
    url.searchParams.set("limit", "200");
    if (cursor) url.searchParams.set("cursor", cursor);
    const page: { items: T[]; nextCursor: string | null } = await client.request(
      "GET",
      `${url.pathname}${url.search}`,
      {
        token,
      },
    );
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}
