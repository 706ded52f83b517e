import type { OpenAPIHono } from "@hono/zod-openapi";
import { IDEMPOTENCY_RETENTION_SECONDS } from "../../db/idempotency";
import type { AppEnv } from "../context";
import { router } from "../context";
import { keepsOwnRules } from "../idempotency";

/**
 * The renderer's files are copied into the web build (web/vite.config.ts) and served by Workers
 * static assets from this origin: there is no CDN at runtime, and the Content-Security-Policy every
 * answer carries (src/http/security-headers.ts) keeps it that way. Swagger UI needs nothing inline.
 */
const DOCS_HTML = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Edge OMS API reference</title>
    <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
    <link rel="stylesheet" href="/assets/docs/swagger-ui.css" />
    <link rel="stylesheet" href="/assets/docs/docs.css" />
  </head>
  <body>
    <header class="docs-bar"><span>Edge OMS API</span><span class="spacer"></span><a href="/v1/openapi.json">openapi.json</a><a href="/">App</a></header>
    <div id="swagger-ui" data-spec-url="/v1/openapi.json"></div>
    <script src="/assets/docs/swagger-ui-bundle.js"></script>
    <script src="/assets/docs/docs.js"></script>
  </body>
</html>
`;

type Document = ReturnType<OpenAPIHono<AppEnv>["getOpenAPI31Document"]>;
type Parameter = { name?: string; in?: string };

const WRITES = ["post", "put", "patch", "delete"] as const;

const OPTIONAL_KEY = {
  name: "Idempotency-Key",
  in: "header",
  required: false,
  description:
    `Optional, on an authenticated call: a retry with the same key and body gets the first successful answer ` +
    `(with \`Idempotent-Replayed: true\`) for ${IDEMPOTENCY_RETENTION_SECONDS / 3600} hours; the same key with another body is 422.`,
  schema: { type: "string", minLength: 1, maxLength: 255, pattern: "^[\\x21-\\x7e]+$" },
};

/**
 * Every authenticated write takes an optional key (src/http/idempotency.ts), a middleware no
 * route declares: published here on each write that neither requires its own key nor keeps its
 * own exactly-once rules, so /docs and generated clients can send it.
 */
function withOptionalKeys(doc: Document): Document {
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    if (keepsOwnRules(`/v1${path}`)) continue;
    for (const method of WRITES) {
      const op = item[method];
      if (!op) continue;
      const params = (op.parameters ?? []) as Parameter[];
      if (params.some((p) => p.in === "header" && p.name?.toLowerCase() === "idempotency-key")) continue;
      op.parameters = [...params, OPTIONAL_KEY] as typeof op.parameters;
    }
  }
  return doc;
}

export function docs(api: OpenAPIHono<AppEnv>) {
  api.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "An API token: `bun run dev` prints demo tokens; admins mint more with POST /v1/tokens.",
  });
  const app = router();
  app.get("/v1/openapi.json", (c) =>
    c.json(
      withOptionalKeys(
        api.getOpenAPI31Document({
          openapi: "3.1.0",
          info: { title: "Edge OMS API", version: "1" },
          servers: [{ url: "/v1" }],
        }),
      ),
    ),
  );
  const page = () =>
    new Response(DOCS_HTML, {
      headers: {
        "content-type": "text/html; charset=utf-8",
        "cache-control": "no-cache",
      },
    });
  app.get("/docs", page);
  app.get("/docs/", page);
  return app;
}
