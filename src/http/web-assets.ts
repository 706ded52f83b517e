import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./context";

/** What the Worker answers itself; everything else is the web app. */
const WORKER_PATHS = /^\/(v1|docs)(\/|$)/;

/**
 * wrangler.toml runs the Worker first for every request, so the pages and their files pass
 * through here (and get the security headers) on their way from the assets binding, which keeps
 * its single-page-application fallback for deep links.
 */
export function webAssets(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (WORKER_PATHS.test(c.req.path)) return next();
    return c.env.ASSETS.fetch(c.req.raw);
  };
}
