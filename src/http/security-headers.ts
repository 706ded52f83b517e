import type { MiddlewareHandler } from "hono";
import { config } from "../platform/config";
import type { AppEnv } from "./context";

/** Stripe.js and what it talks to (Stripe's CSP guide), allowed only when it is configured. */
const STRIPE = {
  // Newer Stripe.js builds load from subdomains of js.stripe.com (the loader asks for /endive/).
  script: ["https://js.stripe.com", "https://*.js.stripe.com"],
  frame: ["https://js.stripe.com", "https://*.js.stripe.com", "https://hooks.stripe.com"],
  connect: ["https://api.stripe.com"],
};

/**
 * Everything from this origin only. WebAssembly may compile (the barcode scanner's ZXing); the
 * feeds' WebSocket origin is named as well as 'self', which older browsers do not match to ws:.
 * Photos preview from blob: URLs and icons are data: URIs. No page may be framed.
 */
export function contentSecurityPolicy(url: URL, stripe: boolean): string {
  const socket = `${url.protocol === "https:" ? "wss:" : "ws:"}//${url.host}`;
  const extra = (list: string[]) => (stripe ? list.map((s) => ` ${s}`).join("") : "");
  return [
    "default-src 'self'",
    `script-src 'self' 'wasm-unsafe-eval'${extra(STRIPE.script)}`,
    "style-src 'self'",
    "img-src 'self' data: blob:",
    `connect-src 'self' ${socket}${extra(STRIPE.connect)}`,
    `frame-src 'self'${extra(STRIPE.frame)}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** On every answer: the API's, errors included, /docs and the web app's pages and files. */
export function securityHeaders(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    // A WebSocket upgrade carries the socket, not a document; copying it would drop the socket.
    if (c.res.status === 101) return;
    const stripe = config(c.env).stripePublishableKey !== undefined;
    c.header("Content-Security-Policy", contentSecurityPolicy(new URL(c.req.url), stripe));
    c.header("X-Content-Type-Options", "nosniff");
    // Stripe's frames want the origin cross-origin; nothing else of ours leaves the origin.
    c.header("Referrer-Policy", "strict-origin-when-cross-origin");
  };
}
