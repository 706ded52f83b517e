import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";

const webRoot = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/**
 * /docs is rendered by Swagger UI served from our own origin (no CDN exists at runtime).
 * The vendor files are copied from node_modules into the build output at fixed names, because
 * the Worker's /docs page references them by path; they are never committed.
 */
function swaggerUiAssets(): Plugin {
  const dist = path.dirname(require.resolve("swagger-ui-dist/package.json"));
  const files: Record<string, string> = {
    "assets/docs/swagger-ui-bundle.js": path.join(dist, "swagger-ui-bundle.js"),
    "assets/docs/swagger-ui.css": path.join(dist, "swagger-ui.css"),
    "assets/docs/docs.js": path.join(webRoot, "docs/docs.js"),
    "assets/docs/docs.css": path.join(webRoot, "docs/docs.css"),
  };
  return {
    name: "oms-swagger-ui-assets",
    apply: "build",
    generateBundle() {
      for (const [fileName, from] of Object.entries(files)) {
        // The source-map comment would make devtools request a map we do not ship.
        const source = readFileSync(from, "utf8").replace(/\n\/[/*]# sourceMappingURL=.*$/m, "\n");
        this.emitFile({ type: "asset", fileName, source });
      }
    },
  };
}

export default defineConfig({
  root: webRoot,
  base: "/",
  plugins: [react(), swaggerUiAssets()],
  resolve: {
    // The API's zod contracts are shared with the web app, not copied.
    alias: {
      "@contracts": path.resolve(webRoot, "../src/contracts"),
      "@hono/zod-openapi": path.resolve(webRoot, "src/zod-openapi.ts"),
    },
  },
  build: {
    outDir: path.join(webRoot, "dist"),
    emptyOutDir: true,
    sourcemap: false,
    target: "es2022",
  },
});
