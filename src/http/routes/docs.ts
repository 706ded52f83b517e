import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../context";
import { router } from "../context";

export function docs(api: OpenAPIHono<AppEnv>) {
  const app = router();
  app.get("/v1/openapi.json", (c) =>
    c.json(
      api.getOpenAPI31Document({
        openapi: "3.1.0",
        info: { title: "Edge OMS API", version: "1" },
        servers: [{ url: "/v1" }],
      }),
    ),
  );
  return app;
}
