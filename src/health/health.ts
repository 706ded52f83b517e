import type { Health, PaymentProviderName } from "../contracts/health";
import { database } from "../db/client";
import { eventBacklog, pingDatabase } from "../db/health";
import { isoSeconds } from "../domain/time";
import { snapshotOf } from "../gateways/stock";
import { type Config, config } from "../platform/config";

/**
 * A stock object that no SKU uses. Reading its levels (the `snapshot` RPC) changes nothing; the
 * first probe ever only creates the object's empty tables.
 */
export const PROBE_SKU_ID = "health-probe";
/** A dependency that hangs still gets an answer: failed, before a load balancer gives up on us. */
const PROBE_DEADLINE_MS = 3_000;

type Probed<T> = { ok: true; latencyMs: number; value: T } | { ok: false; latencyMs: number };

async function probe<T>(name: string, run: () => Promise<T>): Promise<Probed<T>> {
  const started = Date.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${PROBE_DEADLINE_MS} ms`)), PROBE_DEADLINE_MS);
  });
  try {
    const value = await Promise.race([run(), deadline]);
    return { ok: true, latencyMs: Date.now() - started, value };
  } catch (err) {
    console.error(JSON.stringify({ health: name, error: err instanceof Error ? err.message : String(err) }));
    return { ok: false, latencyMs: Date.now() - started };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Which provider checkout uses (src/gateways/payment-provider.ts): Stripe when its keys are set;
 * without them the simulator, which only development may use.
 */
export function paymentProviderIn(cfg: Config): PaymentProviderName {
  if (cfg.stripe) return "stripe";
  return cfg.simulatePayments ? "simulated" : "none";
}

/**
 * Up when D1 answers, a stock object answers and payments can be taken. The event backlog is
 * reported, not judged: a queue that is slow for a while does not make the Worker unfit to serve.
 * `detail` (ops, admin) adds each check and the backlog; anyone else gets the status alone.
 */
export async function checkHealth(env: Env, now: Date, opts: { detail: boolean }): Promise<Health> {
  const db = database(env);
  const provider = paymentProviderIn(config(env));
  const [d1, stock, backlog] = await Promise.all([
    probe("d1", () => pingDatabase(db)),
    probe("stock", () => snapshotOf(env, PROBE_SKU_ID)),
    opts.detail ? probe("event backlog", () => eventBacklog(db)) : undefined,
  ]);
  const payments = { ok: provider !== "none", provider };
  const status = d1.ok && stock.ok && payments.ok ? "ok" : "failing";
  const report: Health = { status, checkedAt: isoSeconds(now) };
  if (!opts.detail) return report;
  return {
    ...report,
    checks: {
      d1: { ok: d1.ok, latencyMs: d1.latencyMs },
      stock: { ok: stock.ok, latencyMs: stock.latencyMs },
      payments,
    },
    eventBacklog: backlog?.ok
      ? {
          unsent: backlog.value.unsent,
          oldestUnsentAgeSeconds:
            backlog.value.oldestCreatedAt === null
              ? null
              : Math.max(0, Math.floor((now.getTime() - Date.parse(backlog.value.oldestCreatedAt)) / 1000)),
        }
      : null,
  };
}
