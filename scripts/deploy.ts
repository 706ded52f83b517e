// `bun run deploy -- --env staging|production`: builds the web app, applies the D1 migrations of
// that environment's database (remote), then deploys the Worker and its assets. The first-deploy
// checklist is in the README ("Deploying"). Migrations go first, so every migration must keep the
// Worker that is still running working (add columns and tables; drop them a release later).
import { buildWeb, log, wrangler } from "./lib/local-env.ts";
import { readWranglerToml } from "./lib/worker-config.ts";

/** wrangler.toml's deploy environments carry this until `wrangler d1 create` gives the real id. */
const PLACEHOLDER_ID = /^REPLACE_WITH_/;

function fail(message: string): never {
  log(`deploy: ${message}`);
  process.exit(1);
}

function envName(args: string[]): string | undefined {
  const rest = args[0] === "--" ? args.slice(1) : args;
  const [flag, value, ...extra] = rest;
  if (extra.length > 0) return undefined;
  if (flag === "--env" || flag === "-e") return value;
  if (flag?.startsWith("--env=") && value === undefined) return flag.slice("--env=".length);
  return undefined;
}

const cfg = readWranglerToml();
const environments = Object.keys(cfg.env ?? {});
const env = envName(process.argv.slice(2));
if (!env || !environments.includes(env)) {
  fail(`usage: bun run deploy -- --env <${environments.join("|")}> (the top level of wrangler.toml is local only)`);
}
const databases = cfg.env?.[env]?.d1_databases ?? [];
const unset = databases.filter((d) => PLACEHOLDER_ID.test(d.database_id));
if (unset.length > 0) {
  fail(
    `wrangler.toml [env.${env}] still has a placeholder database_id for ${unset.map((d) => d.database_name).join(", ")}: ` +
      "run `bunx wrangler d1 create <name>` and put its id there (README, Deploying)",
  );
}

try {
  buildWeb();
  for (const d of databases) {
    log(`applying D1 migrations to ${d.database_name} (${env})...`);
    wrangler(["d1", "migrations", "apply", d.binding, "--remote", "--env", env]);
  }
  // Wrangler names an environment's Worker <name>-<env>.
  log(`deploying ${cfg.name}-${env}...`);
  wrangler(["deploy", "--env", env]);
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
}
