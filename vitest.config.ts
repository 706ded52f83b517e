import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(__dirname, "migrations"));
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            ENVIRONMENT: "development",
            ADMIN_BOOTSTRAP_TOKEN: "test-admin-bootstrap-token",
            STRIPE_SECRET_KEY: "",
            STRIPE_WEBHOOK_SECRET: "",
          },
        },
      }),
    ],
    test: {
      include: ["test/**/*.test.ts"],
      exclude: ["test/browser/**"],
      setupFiles: ["./test/apply-migrations.ts"],
      testTimeout: 60_000,
      hookTimeout: 60_000,
    },
  };
});
