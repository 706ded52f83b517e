// `bun run start` as a child process on a fresh marketplace in a temporary folder, for the
// benchmarks and the browser tests: earlier runs weigh nothing and the dev state is never touched.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ROOT } from "./local-env.ts";
import { stopGroup } from "./processes.ts";

/**
 * While this file exists in the state folder, `bun run start`'s cron driver skips its minutes: the
 * benchmark reads workerd's CPU time with nothing else running. `touch` it to pause any server's jobs.
 */
export const CRON_PAUSE_FILE = "cron.paused";

export type FreshServer = {
  url: string;
  /** The direct socket to the Worker, when OMS_DIRECT_SOCKET asked start.ts for one. */
  directUrl: string | undefined;
  stateDir: string;
  /** Pauses (or resumes) the cron driver; a job already running finishes. */
  pauseCron(paused: boolean): void;
  /** The workerd process Miniflare started (Linux only: found through /proc), for its CPU time. */
  workerdPid(): number | undefined;
  /** The demo tokens the server printed (demo.json of this run). */
  tokens: { role: string; token: string; vendorId?: string; customerId?: string }[];
  stop(): Promise<void>;
};

/** Whether a server already answers at `url`. */
export async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(new URL("/v1/openapi.json", url), { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}

/**
 * `vars` (Stripe's test keys, say) give the server settings of its own, in a `.dev.vars` of its state
 * folder with its own admin token; without them it reads the developer's `.dev.vars`.
 */
export async function startFreshServer(
  port: string,
  label = "oms",
  vars?: Record<string, string>,
): Promise<FreshServer> {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), `${label}-`));
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: port, OMS_STATE_DIR: stateDir };
  if (vars) {
    const settings = {
      ENVIRONMENT: "development",
      ADMIN_BOOTSTRAP_TOKEN: `adm_${randomBytes(24).toString("base64url")}`,
      ...vars,
    };
    env.OMS_DEV_VARS = path.join(stateDir, ".dev.vars");
    writeFileSync(
      env.OMS_DEV_VARS,
      Object.entries(settings)
        .map(([k, v]) => `${k}=${v}\n`)
        .join(""),
      { mode: 0o600 },
    );
  }
  const child: ChildProcess = spawn(process.execPath, [path.join(ROOT, "scripts/start.ts")], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "inherit"],
    env,
  });
  let out = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  const stop = async () => {
    await stopGroup(child);
    rmSync(stateDir, { recursive: true, force: true });
  };
  // Generous: on a loaded machine the build, the seed and the first requests take minutes.
  const deadline = Date.now() + 480_000;
  while (!/OMS running at/.test(out)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`bun run start did not come up:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  // Its guests all come from 127.0.0.1: say which per-address limits it runs under (local-env.ts raised them).
  const limits = /per-client-address limits[^\n]*/.exec(out)?.[0];
  if (limits) process.stderr.write(`${label}: ${limits}\n`);
  const demo = JSON.parse(readFileSync(path.join(ROOT, "demo.json"), "utf8")) as { tokens: FreshServer["tokens"] };
  const pauseFile = path.join(stateDir, CRON_PAUSE_FILE);
  return {
    url: `http://127.0.0.1:${port}`,
    directUrl: /direct socket to the Worker: (\S+)/.exec(out)?.[1],
    stateDir,
    tokens: demo.tokens,
    stop,
    pauseCron: (paused) => (paused ? writeFileSync(pauseFile, "") : rmSync(pauseFile, { force: true })),
    workerdPid: () => (child.pid ? workerdIn(child.pid) : undefined),
  };
}

/** The `workerd` process in the process group `group` (the detached start script's), via /proc. */
function workerdIn(group: number): number | undefined {
  if (os.platform() !== "linux") return undefined;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // pid (comm) state ppid pgrp ...: comm may hold spaces, so split after its closing parenthesis.
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const pgrp = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
      if (comm === "workerd" && pgrp === group) return Number(entry);
    } catch {
      // the process ended while the folder was read
    }
  }
  return undefined;
}
