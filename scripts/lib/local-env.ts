// What `bun run dev` and `bun run start` both prepare before a Worker runs: the git-ignored
// `.dev.vars` with local secrets, and the web app's static assets.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const WRANGLER_BIN = path.join(ROOT, "node_modules/wrangler/bin/wrangler.js");
/** What runs locally: the production Worker plus the development routes; wrangler.toml's main is production's. */
export const DEV_ENTRY = "src/dev/index.ts";

/** Keeps wrangler from prompting or phoning home: there is no network here, and no TTY under CI. */
export const QUIET_TOOL_ENV = {
  CI: "true",
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_HIDE_BANNER: "true",
  NO_UPDATE_NOTIFIER: "1",
  // Miniflare would fetch a real `Request.cf` object from Cloudflare on every (re)start.
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
};

export function log(line: string) {
  process.stdout.write(`${line}\n`);
}

/** `KEY=value` lines; `#` comments; optional single or double quotes around the value. */
export function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(raw);
    if (!m?.[1] || raw.trimStart().startsWith("#")) continue;
    let value = m[2] ?? "";
    const q = /^(['"])(.*)\1$/.exec(value);
    if (q) value = q[2] ?? "";
    out[m[1]] = value;
  }
  return out;
}

/**
 * Per-client-address limits for local runs. Every request to `bun run dev` / `bun run start` comes
 * from 127.0.0.1, so the production defaults (wrangler.toml) would refuse the demo, the benchmark,
 * the browser suite and scripts/check-oversell.ts, which all run many guests from one address.
 */
export const LOCAL_ADDRESS_LIMITS: Record<string, string> = {
  MAX_HELD_UNITS_PER_IP_PER_SKU: "1000000",
  MAX_GUESTS_PER_IP_PER_HOUR: "1000000",
  COARSE_ADDRESS_RATE: "off",
};

/** Creates `.dev.vars` on first run (a random admin bootstrap token, Stripe left unconfigured). */
export function ensureDevVars(): Record<string, string> {
  const file = path.join(ROOT, ".dev.vars");
  if (!existsSync(file)) {
    const token = `adm_${randomBytes(24).toString("base64url")}`;
    writeFileSync(
      file,
      [
        "# Local secrets for `bun run dev` / `bun run start` (git-ignored). Created by scripts/lib/local-env.ts.",
        "ENVIRONMENT=development",
        `ADMIN_BOOTSTRAP_TOKEN=${token}`,
        "# Empty Stripe keys: the Worker uses its simulated payments provider.",
        "STRIPE_SECRET_KEY=",
        "STRIPE_WEBHOOK_SECRET=",
        "STRIPE_CONNECT_WEBHOOK_SECRET=",
        '# Carrier tracking webhooks: {"delhivery": "<secret>", ...}',
        "CARRIER_WEBHOOK_SECRETS=",
        "",
      ].join("\n"),
      { mode: 0o600 },
    );
    log("created .dev.vars (ENVIRONMENT=development, a random ADMIN_BOOTSTRAP_TOKEN, Stripe not configured)");
  }
  return readDevVars(file);
}

/** A `.dev.vars`-style file; it must give the admin bootstrap token, which seeding and cron driving use. */
export function readDevVars(file: string): Record<string, string> {
  raiseAddressLimits(file);
  const vars = parseDotenv(readFileSync(file, "utf8"));
  if (!vars.ADMIN_BOOTSTRAP_TOKEN) {
    throw new Error(`${file} has no ADMIN_BOOTSTRAP_TOKEN: add one, or delete .dev.vars to have it recreated`);
  }
  return vars;
}

/** Adds the local per-address limits `.dev.vars` lacks (a value already there is kept) and says so. */
function raiseAddressLimits(file: string) {
  const vars = parseDotenv(readFileSync(file, "utf8"));
  const missing = Object.entries(LOCAL_ADDRESS_LIMITS).filter(([k]) => vars[k] === undefined);
  if (missing.length > 0) {
    const lines = ["# Per-client-address limits, raised: every local request comes from 127.0.0.1."];
    appendFileSync(file, `\n${[...lines, ...missing.map(([k, v]) => `${k}=${v}`)].join("\n")}\n`);
  }
  const now = parseDotenv(readFileSync(file, "utf8"));
  const shown = Object.keys(LOCAL_ADDRESS_LIMITS).map((k) => `${k}=${now[k]}`);
  log(`per-client-address limits for this local run (every request is 127.0.0.1; .dev.vars): ${shown.join(", ")}`);
}

/** Runs a command to completion with inherited output; throws on a non-zero exit. */
export function run(cmd: string, args: string[], env: Record<string, string> = {}) {
  const res = spawnSync(cmd, args, { cwd: ROOT, stdio: "inherit", env: { ...process.env, ...env } });
  if (res.error) throw res.error;
  if (res.status !== 0) throw new Error(`${[cmd, ...args].join(" ")} exited with ${res.status ?? res.signal}`);
}

/** Runs wrangler under this same Node (wrangler 4 needs Node >= 22; `bun run` puts Node 22 first). */
export function wrangler(args: string[], env: Record<string, string> = {}) {
  run(process.execPath, [WRANGLER_BIN, ...args], { ...QUIET_TOOL_ENV, ...env });
}

function packageScripts(): Record<string, string> {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts?: Record<string, string> };
  return pkg.scripts ?? {};
}

function hasCommand(name: string): boolean {
  return spawnSync(name, ["--version"], { stdio: "ignore" }).status === 0;
}

/** Builds web/dist with `build:web` when the project has one, else leaves a placeholder page. */
export function buildWeb() {
  if (packageScripts()["build:web"]) {
    log("building the web app (build:web)...");
    if (hasCommand("bun")) run("bun", ["run", "build:web"]);
    else run("npm", ["run", "build:web"]);
    return;
  }
  const dist = path.join(ROOT, "web/dist");
  if (!existsSync(path.join(dist, "index.html"))) {
    mkdirSync(dist, { recursive: true });
    writeFileSync(
      path.join(dist, "index.html"),
      '<!doctype html><meta charset="utf-8"><title>OMS</title><p>The web app is not built yet. API docs: <a href="/docs">/docs</a></p>\n',
    );
  }
}

export function writeJson(file: string, value: unknown) {
  writeFileSync(path.join(ROOT, file), `${JSON.stringify(value, null, 2)}\n`);
}
