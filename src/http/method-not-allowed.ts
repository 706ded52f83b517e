import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "./context";

/** Methods registered for a path; a non-empty answer for an unmatched request means 405, not 404. */
export function methodNotAllowed(api: OpenAPIHono<AppEnv>, method: string, path: string): string[] {
  const allowed = new Set<string>();
  for (const def of api.openAPIRegistry.definitions) {
    if (def.type !== "route") continue;
    const pattern = new RegExp(`^${def.route.path.replace(/\{[^}]+\}/g, "[^/]+")}$`);
    if (pattern.test(path)) allowed.add(def.route.method.toUpperCase());
  }
  allowed.delete(method.toUpperCase());
  return [...allowed].sort();
}
