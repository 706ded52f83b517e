import { availableParallelism } from "node:os";
import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { FAKE_RESEND_KEY, FAKE_WHATSAPP_PHONE_NUMBER_ID, FAKE_WHATSAPP_TOKEN } from "./test/notify-fake/fake.ts";

// Every project but `production` runs the development entry (the production Worker plus the dev
// routes), as `bun run dev` and `bun run start` do; wrangler.toml's main is the production entry.
const DEV_ENTRY = "./src/dev/index.ts";
// Tests make many guests without a CF-Connecting-IP header, all counted as one address: the
// per-address limits are raised here. Tests of the limits pass lower ones in an env of their own.
const RAISED_ADDRESS_LIMITS = {
  MAX_HELD_UNITS_PER_IP_PER_SKU: "1000000",
  MAX_GUESTS_PER_IP_PER_HOUR: "1000000",
  COARSE_ADDRESS_RATE: "off",
};

export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  return {
    test: {
      // Each test file gets a workerd process of its own and keeps a core busy; vitest's default
      // (one worker fewer than the cores) ran the suite on one core of a 2-core CI machine.
      maxWorkers: availableParallelism(),
      projects: [
        {
          plugins: [
            cloudflareTest({
              wrangler: { configPath: "./wrangler.toml" },
              main: DEV_ENTRY,
              miniflare: {
                bindings: {
                  TEST_MIGRATIONS: migrations,
                  ...RAISED_ADDRESS_LIMITS,
                  ENVIRONMENT: "development",
                  ADMIN_BOOTSTRAP_TOKEN: "test-admin-bootstrap-token",
                  BRIDGE_SECRET_KEY: "test-bridge-secret-key-of-at-least-32-chars",
                  STRIPE_SECRET_KEY: "",
                  STRIPE_WEBHOOK_SECRET: "",
                  CARRIER_WEBHOOK_SECRETS: JSON.stringify({ delhivery: "test-delhivery-webhook-secret" }),
                },
              },
            }),
          ],
          // The web app's own imports of the contracts (web/vite.config.ts), for tests of its modules.
          resolve: { alias: { "@contracts": path.join(import.meta.dirname, "src/contracts") } },
          test: {
            name: "workers",
            include: ["test/**/*.test.ts"],
            exclude: ["test/browser/**", "test/stripe/**", "test/notify/**", "test/production/**"],
            setupFiles: ["./test/apply-migrations.ts"],
            testTimeout: 60_000,
            hookTimeout: 60_000,
          },
        },
        // The same Worker with Stripe configured, its SDK pointed at a stateful fake of Stripe's API that
        // test/stripe-fake/global-setup.mjs serves from the Node side on a free local port.
        {
          plugins: [
            cloudflareTest(({ inject }) => ({
              wrangler: { configPath: "./wrangler.toml" },
              main: DEV_ENTRY,
              miniflare: {
                bindings: {
                  TEST_MIGRATIONS: migrations,
                  ...RAISED_ADDRESS_LIMITS,
                  ENVIRONMENT: "development",
                  ADMIN_BOOTSTRAP_TOKEN: "test-admin-bootstrap-token",
                  BRIDGE_SECRET_KEY: "test-bridge-secret-key-of-at-least-32-chars",
                  STRIPE_SECRET_KEY: "sk_test_fake",
                  STRIPE_WEBHOOK_SECRET: "whsec_test",
                  STRIPE_CONNECT_WEBHOOK_SECRET: "whsec_connect_test",
                  STRIPE_PUBLISHABLE_KEY: "pk_test_fake",
                  STRIPE_API_BASE: inject<string>("stripeApiBase"),
                },
              },
            })),
          ],
          test: {
            name: "stripe",
            include: ["test/stripe/**/*.test.ts"],
            globalSetup: ["./test/stripe-fake/global-setup.mjs"],
            setupFiles: ["./test/apply-migrations.ts"],
            testTimeout: 60_000,
            hookTimeout: 60_000,
          },
        },
        // The same Worker with WhatsApp and email configured, pointed at a stateful fake of both
        // providers' HTTP APIs that test/notify-fake/global-setup.mjs serves from the Node side.
        {
          plugins: [
            cloudflareTest(({ inject }) => ({
              wrangler: { configPath: "./wrangler.toml" },
              main: DEV_ENTRY,
              miniflare: {
                bindings: {
                  TEST_MIGRATIONS: migrations,
                  ...RAISED_ADDRESS_LIMITS,
                  ENVIRONMENT: "development",
                  ADMIN_BOOTSTRAP_TOKEN: "test-admin-bootstrap-token",
                  BRIDGE_SECRET_KEY: "test-bridge-secret-key-of-at-least-32-chars",
                  STRIPE_SECRET_KEY: "",
                  STRIPE_WEBHOOK_SECRET: "",
                  NOTIFY_RATE_PER_MINUTE: "20",
                  WHATSAPP_TOKEN: FAKE_WHATSAPP_TOKEN,
                  WHATSAPP_PHONE_NUMBER_ID: FAKE_WHATSAPP_PHONE_NUMBER_ID,
                  WHATSAPP_API_BASE: inject<string>("notifyApiBase"),
                  EMAIL_API_KEY: FAKE_RESEND_KEY,
                  EMAIL_FROM: "Edge OMS <orders@oms.test>",
                  EMAIL_API_BASE: inject<string>("notifyApiBase"),
                },
              },
            })),
          ],
          test: {
            name: "notify",
            include: ["test/notify/**/*.test.ts"],
            globalSetup: ["./test/notify-fake/global-setup.mjs"],
            setupFiles: ["./test/apply-migrations.ts"],
            testTimeout: 60_000,
            hookTimeout: 60_000,
          },
        },
        // The production entry as deployed without Stripe keys: no dev routes, no simulator.
        {
          plugins: [
            cloudflareTest({
              wrangler: { configPath: "./wrangler.toml" },
              main: "./src/index.ts",
              miniflare: {
                bindings: {
                  TEST_MIGRATIONS: migrations,
                  ...RAISED_ADDRESS_LIMITS,
                  ENVIRONMENT: "production",
                  ADMIN_BOOTSTRAP_TOKEN: "test-admin-bootstrap-token",
                  BRIDGE_SECRET_KEY: "test-bridge-secret-key-of-at-least-32-chars",
                  STRIPE_SECRET_KEY: "",
                  STRIPE_WEBHOOK_SECRET: "",
                },
              },
            }),
          ],
          test: {
            name: "production",
            include: ["test/production/**/*.test.ts"],
            setupFiles: ["./test/apply-migrations.ts"],
            testTimeout: 60_000,
            hookTimeout: 60_000,
          },
        },
      ],
    },
  };
});
