// The client side of the benchmark: a closed loop of N buyers (each sends its next request when its
// last one is answered) and the CPU time of a process read from /proc (Linux only).
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import os from "node:os";

export type Burst = {
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  statuses: Record<string, number>;
};

export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** The middle value, or the mean of the two middle values of an even count (of 2 rounds, neither). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function timed(send: () => Promise<Response>, latencies: number[], statuses: Record<string, number>) {
  const t0 = performance.now();
  let status: string;
  let body: unknown;
  try {
    const res = await send();
    status = String(res.status);
    body = await res.json();
  } catch (err) {
    status = `dropped:${(err as { cause?: { code?: string } }).cause?.code ?? "error"}`;
  }
  latencies.push(performance.now() - t0);
  statuses[status] = (statuses[status] ?? 0) + 1;
  return { status, body };
}

function summary(started: number, count: number, latencies: number[], statuses: Record<string, number>): Burst {
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    seconds,
    perSecond: count / seconds,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    statuses,
  };
}

/** Fires every request at once (bounded by the connection pool) and times each reply. */
export async function burst(
  count: number,
  send: (i: number) => Promise<Response>,
  keep?: (i: number, body: any) => void,
): Promise<Burst> {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const started = performance.now();
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const { status, body } = await timed(() => send(i), latencies, statuses);
      if (keep && status === "201") keep(i, body);
    }),
  );
  return summary(started, count, latencies, statuses);
}

/** `concurrency` buyers in a closed loop until `count` requests are answered: i is the request's number. */
export async function closedLoop(
  count: number,
  concurrency: number,
  send: (i: number) => Promise<Response>,
  keep?: (i: number, status: string, body: any) => void,
): Promise<Burst> {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      for (let i = next++; i < count; i = next++) {
        const { status, body } = await timed(() => send(i), latencies, statuses);
        keep?.(i, status, body);
      }
    }),
  );
  return summary(started, count, latencies, statuses);
}

// ---- CPU time of a process (Linux /proc) ----------------------------------------------------

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** Fields of /proc/<pid>/stat from the state field (field 3 of proc(5)) on. */
function statFields(pid: number | string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/** utime + stime of `pid` in milliseconds (to the clock tick, 10 ms on most kernels), or undefined off Linux. */
export function cpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined || os.platform() !== "linux") return undefined;
  const f = statFields(pid);
  // utime and stime are fields 14 and 15 of proc(5).
  return f ? ((Number(f[11]) + Number(f[12])) * 1000) / clockTicks() : undefined;
}

/** Resident memory of `pid` in KiB (VmRSS of /proc/<pid>/status), or undefined off Linux. */
export function residentKiB(pid: number | undefined): number | undefined {
  if (pid === undefined || os.platform() !== "linux") return undefined;
  try {
    const kib = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kib === undefined ? undefined : Number(kib);
  } catch {
    return undefined;
  }
}

/**
 * CPU of `pid`, its children that have exited (cutime, cstime) and its live children: Postgres's
 * postmaster with its backends.
 */
export function treeCpuMs(pid: number | undefined): number | undefined {
  const own = cpuMs(pid);
  const f = pid === undefined ? undefined : statFields(pid);
  if (own === undefined || !f) return undefined;
  let ms = own + ((Number(f[13]) + Number(f[14])) * 1000) / clockTicks();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const c = statFields(entry);
    if (c && Number(c[1]) === pid) ms += ((Number(c[11]) + Number(c[12])) * 1000) / clockTicks();
  }
  return ms;
}

/**
 * Waits until `pid` uses under `threshold` of one core over a half-second window (at most `maxMs`),
 * so a reading starts and ends with the server idle: trailing work of a burst (outbox sends, queue
 * consumers, feed pushes) is counted in it. Returns the last window's share of one core.
 */
export async function settle(pid: number | undefined, threshold = 0.05, maxMs = 15_000): Promise<number | undefined> {
  if (cpuMs(pid) === undefined) return undefined;
  const deadline = Date.now() + maxMs;
  let share = 1;
  while (Date.now() < deadline) {
    const before = cpuMs(pid)!;
    await new Promise((r) => setTimeout(r, 500));
    share = (cpuMs(pid)! - before) / 500;
    if (share < threshold) break;
  }
  return share;
}

/** Load averages and the share of both cores busy over a second, machine-wide: how loaded the run was. */
export async function machineLoad(): Promise<string> {
  const idle = () =>
    os.cpus().reduce(
      (acc, c) => ({
        idle: acc.idle + c.times.idle,
        total: acc.total + c.times.user + c.times.nice + c.times.sys + c.times.idle + c.times.irq,
      }),
      { idle: 0, total: 0 },
    );
  const a = idle();
  await new Promise((r) => setTimeout(r, 1000));
  const b = idle();
  const busy = 1 - (b.idle - a.idle) / Math.max(1, b.total - a.total);
  return `load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}; ${(busy * 100).toFixed(0)}% of all cores busy over the last second`;
}
