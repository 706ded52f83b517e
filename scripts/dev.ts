// `bun run dev`: the whole system locally from a fresh clone. Creates .dev.vars, applies the D1
// migrations, builds the web app, runs `wrangler dev` on the development entry (src/dev/index.ts),
// seeds the demo marketplace, prints the demo tokens and drives the Cron Triggers (wrangler dev
// does not fire them locally).
import { type ChildProcess, spawn } from "node:child_process";
import {
  buildWeb,
  DEV_ENTRY,
  ensureDevVars,
  log,
  QUIET_TOOL_ENV,
  ROOT,
  WRANGLER_BIN,
  wrangler,
} from "./lib/local-env.ts";
import { pipeFiltered, stopGroup } from "./lib/processes.ts";
import { driveCron, prepareDemo, waitUntilReady } from "./lib/session.ts";

const HOST = "127.0.0.1";
const port = Number(process.env.PORT ?? 8787);
if (!Number.isInteger(port) || port <= 0 || port > 65535)
  throw new Error(`PORT must be a TCP port, got ${process.env.PORT}`);
const baseUrl = `http://${HOST}:${port}`;

const vars = ensureDevVars();
log("applying D1 migrations locally...");
wrangler(["d1", "migrations", "apply", "DB", "--local"]);
buildWeb();

// Its own process group, so stopping it also stops the workerd it spawns.
const child: ChildProcess = spawn(
  process.execPath,
  [WRANGLER_BIN, "dev", DEV_ENTRY, "--port", String(port), "--ip", HOST, "--show-interactive-dev-session=false"],
  { cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...QUIET_TOOL_ENV } },
);
pipeFiltered(child.stdout, process.stdout);
pipeFiltered(child.stderr, process.stderr);

let exitInfo: string | null = null;
let stopCron = () => {};
let stopping = false;

async function shutdown(code: number) {
  if (stopping) return;
  stopping = true;
  stopCron();
  await stopGroup(child);
  process.exit(code);
}

child.on("exit", (code, signal) => {
  exitInfo = `wrangler dev exited with ${code ?? signal}`;
  if (!stopping) {
    log(exitInfo);
    void shutdown(code === 0 ? 1 : (code ?? 1));
  }
});
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(sig, () => {
    log(`\n${sig}: stopping wrangler dev...`);
    void shutdown(0);
  });
}
// Last resort if this process dies some other way: never leave a wrangler/workerd group behind.
process.on("exit", () => {
  if (child.pid && child.exitCode === null && child.signalCode === null) {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {}
  }
});

try {
  await waitUntilReady(baseUrl, () => exitInfo);
  await prepareDemo(baseUrl, vars.ADMIN_BOOTSTRAP_TOKEN!);
  stopCron = driveCron(baseUrl, vars.ADMIN_BOOTSTRAP_TOKEN!);
} catch (err) {
  log(`dev: ${err instanceof Error ? err.message : String(err)}`);
  await shutdown(1);
}
