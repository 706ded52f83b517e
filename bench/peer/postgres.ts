// Starts the Postgres peer for `bun run bench -- --peer`, as ../shared/peers/README.md runs it: a
// throwaway cluster in a private temporary folder (initdb, pg_ctl; as the postgres user when run as
// root), listening on loopback only, and bench/peer/server.ts in front of it. Without Postgres's
// binaries it says so and the benchmark runs without its peer: tests and CI never need Postgres.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { stopGroup } from "../../scripts/lib/processes.ts";

export type Peer = {
  url: string;
  describe: string;
  serverPid: number;
  postgresPid: number | undefined;
  stop(): Promise<void>;
};

const DIRS = [
  process.env.PG_BIN,
  "/usr/local/bin",
  "/usr/local/pgsql/bin",
  ...["17", "16", "15", "14"].map((v) => `/usr/lib/postgresql/${v}/bin`),
  "/usr/bin",
].filter((d): d is string => Boolean(d));

/** The folder holding initdb and pg_ctl, or undefined when Postgres is not installed. */
export function postgresBin(): string | undefined {
  return DIRS.find((d) => existsSync(path.join(d, "initdb")) && existsSync(path.join(d, "pg_ctl")));
}

/** Runs a Postgres tool, as the postgres user when this process is root (Postgres refuses to run as root). */
function pgRun(bin: string, tool: string, args: string[]) {
  const cmd = [path.join(bin, tool), ...args];
  if (process.getuid?.() === 0) {
    const quoted = cmd.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
    return execFileSync("su", ["postgres", "-s", "/bin/sh", "-c", quoted], { encoding: "utf8", stdio: "pipe" });
  }
  return execFileSync(cmd[0]!, cmd.slice(1), { encoding: "utf8", stdio: "pipe" });
}

async function waitFor(url: string, child: ChildProcess) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the peer server exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/ping`)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("the peer server did not come up in 30 s");
}

/** Starts Postgres on `pgPort` and the peer on `httpPort`; undefined (after saying why) when Postgres is absent. */
export async function startPeer(pgPort: number, httpPort: number, poolSize: number): Promise<Peer | undefined> {
  const bin = postgresBin();
  if (!bin) {
    console.log(`--peer: Postgres is not installed (no initdb/pg_ctl in ${DIRS.join(", ")}); skipping the peer`);
    return undefined;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), "oms-pg-peer-"));
  chmodSync(dir, 0o700);
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    chownSync(dir, uid, gid);
  }
  const data = path.join(dir, "data");
  const version = pgRun(bin, "pg_ctl", ["--version"]).trim();
  pgRun(bin, "initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync"]);
  const settings = `-p ${pgPort} -c listen_addresses=127.0.0.1 -k ${dir} -c max_connections=200`;
  pgRun(bin, "pg_ctl", ["-D", data, "-l", path.join(dir, "log"), "-w", "-o", settings, "start"]);
  const stopPostgres = () => {
    try {
      pgRun(bin, "pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]);
    } catch (err) {
      console.log(`--peer: stopping Postgres: ${String(err)}`);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  let child: ChildProcess | undefined;
  try {
    const env = { PGHOST: "127.0.0.1", PGPORT: String(pgPort), PGUSER: "postgres", PGDATABASE: "postgres" };
    execFileSync("psql", ["-q", "-c", "CREATE DATABASE pgpeer"], { env: { ...process.env, ...env }, stdio: "pipe" });
    const server = path.join(path.dirname(fileURLToPath(import.meta.url)), "server.ts");
    child = spawn(process.execPath, [server], {
      detached: true,
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, ...env, PGDATABASE: "pgpeer", PORT: String(httpPort), PGPOOL: String(poolSize) },
    });
    const url = `http://127.0.0.1:${httpPort}`;
    await waitFor(url, child);
    const postmaster = pgRun(bin, "pg_ctl", ["-D", data, "status"]).match(/PID: (\d+)/)?.[1];
    const started = child;
    return {
      url,
      describe: `${version}, fresh cluster in ${dir} (loopback port ${pgPort}, synchronous_commit on, fsync on), pg pool ${poolSize}; peer server ${url}`,
      serverPid: child.pid!,
      postgresPid: postmaster ? Number(postmaster) : undefined,
      stop: async () => {
        await stopGroup(started);
        stopPostgres();
      },
    };
  } catch (err) {
    if (child) await stopGroup(child);
    stopPostgres();
    throw err;
  }
}
