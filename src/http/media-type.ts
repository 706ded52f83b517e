import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./context";
import { ApiError } from "./errors";

// Routes whose bodies are not JSON: raw webhook payloads (signatures are over the exact bytes),
// photo uploads and CSV imports check their own media types.
const NON_JSON = [
  /^\/v1\/webhooks\//,
  /\/photo$/,
  /^\/v1\/admin\/postal-codes$/,
  /^\/v1\/products\/[^/]+\/images$/,
  /^\/v1\/product-imports$/,
];

export function requireJsonBody(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const { method, path } = c.req;
    const hasBody = method === "POST" || method === "PUT" || method === "PATCH";
    const length = c.req.header("content-length");
    const empty = length === "0" || (length === undefined && !c.req.header("transfer-encoding"));
    if (hasBody && !empty && !NON_JSON.some((re) => re.test(path))) {
      const type = c.req.header("content-type") ?? "";
      if (!/^application\/json\b/i.test(type)) {
        throw new ApiError("UNSUPPORTED_MEDIA_TYPE", "Send the body as application/json");
      }
    }
    await next();
  };
}
