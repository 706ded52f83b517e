// Payout benchmark: one payout run over many delivered sub-orders through the payout simulator.
// 10,000 delivered, captured sub-orders past their hold are written straight into D1 over ten
// vendors with ready simulated accounts (POST /v1/bench/payouts, development only); then one run
// is started (the job run route) and its continuation pages, each an invocation of its own on the
// queue, are followed until the run has paid. Reports the wall time, the invocations the run took,
// the ledger rows it wrote and that every sub-order was paid once.
import type { Api } from "../scripts/lib/api.ts";

type Stats = { ledgerEntries: number; ledgerJournals: number; transfersPaid: number; transfersPending: number };
type Run = {
  id: string;
  status: string;
  pages: number;
  transfers: number;
  transferredMinor: number;
  problems: string[];
};

export async function run(opts: { admin: Api; subOrders?: number; vendors?: number; log?: (l: string) => void }) {
  const log = opts.log ?? console.log;
  const count = opts.subOrders ?? 10_000;
  const vendors = opts.vendors ?? 10;
  const tag = Date.now().toString(36);
  log(`seeding ${count} delivered sub-orders over ${vendors} vendors (tag ${tag})`);
  await opts.admin.request("POST", "/v1/bench/payouts", { body: { tag, count, vendors }, timeoutMs: 600_000 });
  const before = await opts.admin.request<Stats>("GET", "/v1/bench/payouts/stats");
  const started = performance.now();
  const first = await opts.admin.request<{ result: { status: string; runId?: string; reason?: string } }>(
    "POST",
    "/v1/admin/jobs/payouts/run",
    // The first page reconciles the whole period before it pays.
    { body: {}, timeoutMs: 600_000 },
  );
  const runId = first.result.runId;
  if (!runId) throw new Error(`the payout run did not start: ${JSON.stringify(first.result)}`);
  let run: Run;
  for (;;) {
    run = await opts.admin.request<Run>("GET", `/v1/payouts/runs/${runId}`);
    if (run.status !== "running") break;
    if (performance.now() - started > 30 * 60_000) throw new Error("the payout run did not finish in 30 minutes");
    await new Promise((r) => setTimeout(r, 250));
  }
  const seconds = (performance.now() - started) / 1000;
  const after = await opts.admin.request<Stats>("GET", "/v1/bench/payouts/stats");
  const paid = after.transfersPaid - before.transfersPaid;
  log(`run ${run.id}: ${run.status}${run.problems.length ? ` (${run.problems[0]})` : ""}`);
  log(`  sub-orders paid      ${paid} of ${count} (pending left: ${after.transfersPending})`);
  log(`  wall time            ${seconds.toFixed(1)} s (${(paid / seconds).toFixed(0)} transfers/s)`);
  log(`  invocations          ${run.pages} (the first with its reconciliation, then one per continuation page)`);
  log(
    `  ledger rows written  ${after.ledgerEntries - before.ledgerEntries} entries in ${after.ledgerJournals - before.ledgerJournals} journals`,
  );
  log(
    "  per invocation       at most a fifth of the 1,000 D1 queries and 1,000 subrequests (test/jobs/payouts.budget.test.ts meters a page)",
  );
  return { paid, seconds, run, ok: run.status === "paid" && paid === count && after.transfersPending === 0 };
}
