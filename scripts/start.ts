// `bun run start`: builds the development entry (src/dev/index.ts) as `wrangler deploy` would and
// serves that bundle with Miniflare's Node API (workerd underneath), without wrangler dev's proxy,
// which tops out at a few hundred requests per second here. Same seeded demo, demo tokens and cron
// driving as dev.
import { existsSync } from "node:fs";
import path from "node:path";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from "miniflare";
import { applyD1Migrations } from "./lib/d1-migrations.ts";
import { CRON_PAUSE_FILE } from "./lib/fresh-server.ts";
import { buildWeb, DEV_ENTRY, ensureDevVars, log, ROOT, readDevVars, wrangler } from "./lib/local-env.ts";
import { driveCron, prepareDemo } from "./lib/session.ts";
import { d1MigrationsDirs, miniflareOptions, readWranglerToml } from "./lib/worker-config.ts";

const HOST = "127.0.0.1";
const port = Number(process.env.PORT ?? 8788);
if (!Number.isInteger(port) || port <= 0 || port > 65535)
  throw new Error(`PORT must be a TCP port, got ${process.env.PORT}`);
const BUNDLE_DIR = path.join(ROOT, "dist");
// OMS_STATE_DIR lets the benchmark and the browser tests run on a fresh, throwaway marketplace.
const STATE_DIR = process.env.OMS_STATE_DIR
  ? path.resolve(process.env.OMS_STATE_DIR)
  : path.join(ROOT, ".wrangler/start-state");

// OMS_DEV_VARS names another file of local settings in place of .dev.vars: a test's server with
// settings of its own (Stripe's test keys, say) leaves the developer's file alone.
const devVars = process.env.OMS_DEV_VARS ? readDevVars(path.resolve(process.env.OMS_DEV_VARS)) : ensureDevVars();
buildWeb();
log(`bundling the development entry (wrangler deploy --dry-run --outdir dist ${DEV_ENTRY})...`);
// `--env ""`: the top level of wrangler.toml, the local configuration (named, so wrangler does not
// warn that staging and production exist and none was picked).
wrangler(["deploy", "--dry-run", "--env", "", "--outdir", "dist", DEV_ENTRY]);

const cfg = readWranglerToml();
const options = miniflareOptions({ cfg, bundleDir: BUNDLE_DIR, host: HOST, port, persistTo: STATE_DIR, devVars });
// OMS_INSPECTOR_PORT opens workerd's inspector (Chrome DevTools protocol) there: the checkout profile uses it.
const inspectorPort = process.env.OMS_INSPECTOR_PORT ? Number(process.env.OMS_INSPECTOR_PORT) : undefined;
// OMS_DIRECT_SOCKET opens a second socket, on a free port, straight to the Worker (the dev entry's
// `direct`): no Miniflare entry worker or assets router in front, as on Cloudflare's edge, so the
// benchmark measures the Worker and not the simulator's forwarding. Nothing sets CF-Connecting-IP
// there: the client names its address itself, as the edge would.
const directSocket = process.env.OMS_DIRECT_SOCKET ? [{ host: HOST, port: 0, entrypoint: "direct" }] : undefined;
const mf = new Miniflare({
  ...convertV4MiniflareOptions({
    ...options,
    ...(directSocket ? { unsafeDirectSockets: directSocket } : {}),
    log: new Log(LogLevel.WARN),
  }),
  ...(inspectorPort ? { inspectorPort } : {}),
});

let stopCron = () => {};
let stopping = false;
async function shutdown(code: number) {
  if (stopping) return;
  stopping = true;
  stopCron();
  try {
    await mf.dispose();
  } catch (err) {
    log(`start: stopping workerd: ${String(err)}`);
  }
  process.exit(code);
}
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  // Miniflare's own signal hook exits at once with 128+n; stop the cron driver and dispose
  // workerd in order instead (its exit hook still kills workerd if this process dies otherwise).
  process.removeAllListeners(sig);
  process.on(sig, () => {
    log(`\n${sig}: stopping the server...`);
    void shutdown(0);
  });
}

try {
  const url = await mf.ready;
  for (const { binding, dir } of d1MigrationsDirs(cfg)) {
    await applyD1Migrations(await mf.getD1Database(binding), dir, log);
  }
  const baseUrl = `http://${HOST}:${url.port}`;
  if (directSocket)
    log(`direct socket to the Worker: http://${HOST}:${(await mf.unsafeGetDirectURL(undefined, "direct")).port}`);
  await prepareDemo(baseUrl, devVars.ADMIN_BOOTSTRAP_TOKEN!);
  stopCron = driveCron(baseUrl, devVars.ADMIN_BOOTSTRAP_TOKEN!, () =>
    existsSync(path.join(STATE_DIR, CRON_PAUSE_FILE)),
  );
  log(`cron driver: paused while ${path.join(STATE_DIR, CRON_PAUSE_FILE)} exists`);
} catch (err) {
  log(`start: ${err instanceof Error ? err.message : String(err)}`);
  await shutdown(1);
}
