import { createRoute, type RouteConfig } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import type { Role } from "../domain/principal";
import type { AppEnv } from "./context";
import { ApiError } from "./errors";

type Access = Role[] | "public";

function guard(access: Access): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (access !== "public") {
      const p = c.get("principal");
      if (!p) throw new ApiError("UNAUTHENTICATED");
      if (!access.includes(p.role)) throw new ApiError("FORBIDDEN", `This route is for: ${access.join(", ")}`);
    }
    await next();
  };
}

/**
 * A route with its access rule declared once: enforced before validation runs and
 * published in the OpenAPI document as `x-roles` and in the summary's description.
 */
export function defineRoute<const R extends Omit<RouteConfig, "middleware">>(config: R & { access: Access }) {
  const { access, ...rest } = config;
  const roleText = access === "public" ? "Public." : `Roles: ${access.join(", ")}.`;
  const roles: string[] = access === "public" ? ["public"] : [...access];
  // A public route still verifies a token it is given, and may answer by it (a manager's stock
  // levels and version, every product to a vendor): `{}` or the bearer. OpenAPI's `[]` would say
  // "send no credentials", and Swagger UI and generated clients would then never send it.
  const security: { bearer?: string[] }[] = access === "public" ? [{}, { bearer: [] }] : [{ bearer: [] }];
  // Grouped in the reference by the resource the path starts with.
  const tag = rest.path.split("/")[1] ?? "api";
  return createRoute({
    tags: [tag],
    ...rest,
    description: [roleText, rest.description].filter(Boolean).join(" "),
    security,
    "x-roles": roles,
    middleware: [guard(access)] as const,
  });
}
