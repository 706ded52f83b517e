// Miniflare options for the bundled Worker, derived from wrangler.toml so bindings are declared
// once. Only what this project's wrangler.toml uses is translated; anything else is refused so a
// new binding kind is noticed here instead of silently missing in `bun run start`. Local runs use
// the top level; the deploy environments under `env` are only read by scripts/deploy.ts.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "smol-toml";
import { ROOT } from "./local-env.ts";

type D1Config = { binding: string; database_name: string; database_id: string; migrations_dir?: string };

type WranglerToml = {
  name: string;
  main: string;
  compatibility_date: string;
  compatibility_flags?: string[];
  assets?: {
    directory: string;
    binding?: string;
    not_found_handling?: string;
    html_handling?: string;
    run_worker_first?: boolean | string[];
  };
  vars?: Record<string, string | number | boolean>;
  secrets?: { required?: string[] };
  d1_databases?: D1Config[];
  durable_objects?: { bindings?: { name: string; class_name: string; script_name?: string }[] };
  migrations?: { tag: string; new_classes?: string[]; new_sqlite_classes?: string[] }[];
  queues?: {
    producers?: { binding: string; queue: string; delivery_delay?: number }[];
    consumers?: {
      queue: string;
      max_batch_size?: number;
      max_batch_timeout?: number;
      max_retries?: number;
      dead_letter_queue?: string;
      retry_delay?: number;
    }[];
  };
  r2_buckets?: { binding: string; bucket_name: string }[];
  ratelimits?: { name: string; namespace_id: string; simple: { limit: number; period?: 10 | 60 } }[];
  triggers?: { crons?: string[] };
  env?: Record<string, { d1_databases?: D1Config[]; [key: string]: unknown }>;
  [key: string]: unknown;
};

const UNDERSTOOD = new Set([
  "name",
  "main",
  "compatibility_date",
  "compatibility_flags",
  "assets",
  "vars",
  "secrets",
  "d1_databases",
  "durable_objects",
  "migrations",
  "queues",
  "r2_buckets",
  "ratelimits",
  "triggers",
  "observability",
  "limits",
  "placement",
  "build",
  "rules",
  "no_bundle",
  "find_additional_modules",
  "upload_source_maps",
  "workers_dev",
  "preview_urls",
  "account_id",
  "dev",
  "env",
]);

export function readWranglerToml(): WranglerToml {
  const cfg = parse(readFileSync(path.join(ROOT, "wrangler.toml"), "utf8")) as WranglerToml;
  const unknown = Object.keys(cfg).filter((k) => !UNDERSTOOD.has(k));
  if (unknown.length > 0) {
    throw new Error(`scripts/lib/worker-config.ts does not translate wrangler.toml's ${unknown.join(", ")} yet`);
  }
  return cfg;
}

const byName = <T, V>(items: T[] | undefined, key: (t: T) => string, value: (t: T) => V): Record<string, V> =>
  Object.fromEntries((items ?? []).map((t) => [key(t), value(t)]));

const defined = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

export type ServeOptions = {
  cfg: WranglerToml;
  /** The bundle written by `wrangler deploy --dry-run --outdir <dir>`. */
  bundleDir: string;
  host: string;
  port: number;
  persistTo: string;
  /** From .dev.vars: the declared secrets, overrides of declared vars (as wrangler dev does), and UNDECLARED_LOCAL_VARS. */
  devVars: Record<string, string>;
};

/**
 * Optional vars the Worker reads that wrangler.toml leaves undeclared, so no deploy carries an empty
 * one: Stripe's publishable key (a var of each deploy environment once the storefront pays through
 * Stripe), the Stripe API base (tests only), and the email settings that send vendors' sign-in
 * links (the browser test points them at the provider's fake). `bun run start` takes them from .dev.vars too.
 */
const UNDECLARED_LOCAL_VARS = [
  "STRIPE_PUBLISHABLE_KEY",
  "STRIPE_API_BASE",
  "EMAIL_API_KEY",
  "EMAIL_FROM",
  "EMAIL_API_BASE",
];

/**
 * The bundle's modules: wrangler writes the Worker as index.js and each imported `.wasm` (the image
 * codecs) beside it under a hashed name, imported by that name; Miniflare is handed them all.
 */
function bundleModules(bundleDir: string) {
  const wasm = readdirSync(bundleDir).filter((f) => f.endsWith(".wasm"));
  return [
    { type: "ESModule" as const, path: path.join(bundleDir, "index.js") },
    ...wasm.map((f) => ({ type: "CompiledWasm" as const, path: path.join(bundleDir, f) })),
  ];
}

/** Miniflare v4-style options (fed through `convertV4MiniflareOptions`, as wrangler itself does). */
export function miniflareOptions(o: ServeOptions) {
  const { cfg } = o;
  const sqliteClasses = new Set((cfg.migrations ?? []).flatMap((m) => m.new_sqlite_classes ?? []));
  const secretNames = [...(cfg.secrets?.required ?? []), ...Object.keys(cfg.vars ?? {}), ...UNDECLARED_LOCAL_VARS];
  const secrets = Object.fromEntries(
    secretNames.filter((k) => o.devVars[k] !== undefined).map((k) => [k, o.devVars[k]!]),
  );
  const vars = Object.fromEntries(Object.entries(cfg.vars ?? {}).map(([k, v]) => [k, String(v)]));
  const assets = cfg.assets;
  return {
    host: o.host,
    port: o.port,
    resourcePersistencePath: o.persistTo,
    // No network here, and production's request.cf is not needed: use Miniflare's placeholder.
    cf: false,
    logRequests: false,
    name: cfg.name,
    modules: bundleModules(o.bundleDir),
    modulesRoot: o.bundleDir,
    compatibilityDate: cfg.compatibility_date,
    compatibilityFlags: cfg.compatibility_flags ?? [],
    bindings: { ...vars, ...secrets },
    d1Databases: byName(
      cfg.d1_databases,
      (d) => d.binding,
      (d) => d.database_id,
    ),
    durableObjects: byName(
      cfg.durable_objects?.bindings,
      (b) => b.name,
      (b) =>
        defined({ className: b.class_name, scriptName: b.script_name, useSQLite: sqliteClasses.has(b.class_name) }),
    ),
    queueProducers: byName(
      cfg.queues?.producers,
      (p) => p.binding,
      (p) => defined({ queueName: p.queue, deliveryDelay: p.delivery_delay }),
    ),
    queueConsumers: byName(
      cfg.queues?.consumers,
      (c) => c.queue,
      (c) =>
        defined({
          maxBatchSize: c.max_batch_size,
          maxBatchTimeout: c.max_batch_timeout,
          maxRetries: c.max_retries,
          deadLetterQueue: c.dead_letter_queue,
          retryDelay: c.retry_delay,
        }),
    ),
    r2Buckets: byName(
      cfg.r2_buckets,
      (b) => b.binding,
      (b) => b.bucket_name,
    ),
    ratelimits: byName(
      cfg.ratelimits,
      (r) => r.name,
      (r) => ({ namespace_id: r.namespace_id, simple: r.simple }),
    ),
    ...(assets
      ? {
          assets: defined({
            directory: path.resolve(ROOT, assets.directory),
            binding: assets.binding,
            run_worker_first: assets.run_worker_first,
            routerConfig: { has_user_worker: true },
            assetConfig: defined({
              not_found_handling: assets.not_found_handling,
              html_handling: assets.html_handling,
            }),
          }),
        }
      : {}),
  };
}

export function d1MigrationsDirs(cfg: WranglerToml): { binding: string; dir: string }[] {
  return (cfg.d1_databases ?? []).map((d) => ({
    binding: d.binding,
    dir: path.resolve(ROOT, d.migrations_dir ?? "migrations"),
  }));
}
