import { type Db, database, runBatch } from "../db/client";
import { postJournals } from "../db/ledger";
import { queueOpsAlert } from "../db/ops-alerts";
import type { After } from "../db/paging";
import {
  dueSubOrders,
  finishRun,
  holdStatements,
  lastListedBefore,
  ledgerStart,
  liveRun,
  liveTransfersOf,
  type PayoutRun,
  paidTransfersIn,
  paymentsByCharge,
  periodFigures,
  providerFeesIn,
  recordFigures,
  renewLease,
  setOffStatements,
  startRun,
  tallyRun,
  tallySettled,
  vendorPayoutStates,
  writtenTransferIds,
} from "../db/payouts";
import { newId } from "../domain/ids";
import { providerFeePosting, setOffPosting } from "../domain/ledger-payouts";
import { fundFromCharges, planPayouts, reconcile } from "../domain/payout-plan";
import { holdSuspended } from "../domain/payout-readiness";
import { isoSeconds } from "../domain/time";
import { continueJob } from "../gateways/order-events";
import { payoutProvider } from "../gateways/payout-provider";
import type { PayoutProvider } from "../gateways/payouts";
import { config } from "../platform/config";
import { settlePending, takeBackRefunds } from "./settle";
import { confirmedStatements, failedStatements, newTransfer, pendingStatements, requestTransfer } from "./transfers";

// A transfer costs about seven D1 statements (its row and pending journal, then its count in the
// run's totals and its confirmation) and one provider request; fifteen keep a page near a hundred
// queries and requests, a fifth of what an invocation may spend. The rest continues on the queue, a
// page per invocation.
const PAGE = 15;
// Settling a pending transfer or a refund after payout costs a provider list or reversal each.
const SETTLE_PER_RUN = 20;
/** A run's lease: a run whose invocation died is taken over once it lapses. */
const LEASE_MS = 5 * 60_000;
/** How far back the reconciliation reaches by capture date (past the hold and the delivery time). */
export const RECONCILE_DAYS = 35;
const DAY_MS = 86_400_000;

type PageResult = { transfers: number; held: number; continued: boolean };
export type RunResult =
  | { status: "skipped"; reason: string }
  | { status: "halted"; runId: string; problems: string[] }
  | ({ status: "running" | "paid"; runId: string } & PageResult);

// The lease is read against the later of the job's clock and the real one: a continuation runs
// after its run started, and a run with a moved clock (tests, the simulator) lives in its own time.
const leaseFrom = (now: Date) => new Date(Math.max(now.getTime(), Date.now()));

/**
 * The payout run (Cron, hourly): one run at a time under a lease; it settles what a dead run left
 * pending and takes back refunds that followed a transfer; proves the period reconciles (captured =
 * vendor nets + fees + refunds, and the provider's transfers are the ledger's, both ways); on any
 * mismatch pays nothing, records why and alerts ops; else pays every due sub-order page by page.
 */
export async function runPayouts(env: Env, now: Date): Promise<RunResult> {
  const db = database(env);
  const at = isoSeconds(now);
  const start = await ledgerStart(db);
  if (!start) return { status: "skipped", reason: "nothing captured yet" };
  const from = [start, isoSeconds(now.getTime() - RECONCILE_DAYS * DAY_MS)].sort().at(-1)!;
  const runId = newId("run");
  const started = await startRun(db, {
    id: runId,
    currency: config(env).currency,
    periodFrom: from,
    periodBefore: at,
    now: isoSeconds(leaseFrom(now)),
    leaseUntil: isoSeconds(leaseFrom(now).getTime() + LEASE_MS),
  });
  if (!started) return { status: "skipped", reason: "another payout run holds the lease" };
  const provider = payoutProvider(env);
  const settled = await settlePending(db, provider, at, SETTLE_PER_RUN);
  const taken = await takeBackRefunds(db, provider, from, at, SETTLE_PER_RUN);
  await runBatch(db, [tallyRun(db, runId, { pages: 0, transfers: 0, transferredMinor: 0, held: 0, ...taken })]);
  const problems = [...settled.problems, ...taken.problems, ...(await reconcilePeriod(db, provider, runId, from, at))];
  if (problems.length > 0) {
    await halt(db, runId, problems, at, { settled: settled.settled, reversals: taken.reversals });
    return { status: "halted", runId, problems };
  }
  const page = await payPage(env, db, provider, runId, now, undefined);
  return { status: page.continued ? "running" : "paid", runId, ...page };
}

/**
 * How far before the last held reconciliation's listing the next one lists again: a provider's
 * lists may show a record a moment after it was made, and its clock may differ from ours.
 */
const LISTING_OVERLAP_MS = 3_600_000;

/**
 * The provider's records are listed from where the last reconciliation that held had listed them
 * (less `LISTING_OVERLAP_MS`), not over the whole period: each is a request per hundred, and
 * listing the whole 35 days every hour outgrew an invocation's subrequests at a few hundred orders
 * a day. What was listed before was checked then; the figures from D1 still cover the period.
 */
async function listingFrom(db: Db, from: string): Promise<string> {
  const listed = await lastListedBefore(db);
  if (!listed) return from;
  return [from, isoSeconds(Date.parse(listed) - LISTING_OVERLAP_MS)].sort().at(-1)!;
}

async function reconcilePeriod(db: Db, provider: PayoutProvider, runId: string, from: string, before: string) {
  // The provider stamps its records with its own clock, which a run with a moved clock does not move.
  const listedBefore = new Date().toISOString();
  const since = await listingFrom(db, from);
  const reported = await provider.transfers.list({ createdFrom: new Date(since), createdBefore: new Date(before) });
  if (!reported.ok) return [`could not read the provider's transfers: ${reported.message}`];
  const figures = await periodFigures(db, from, before);
  const named = reported.value.flatMap((t) => (t.metadata ? [t.metadata.subOrderId] : []));
  const problems = reconcile(
    figures,
    { inPeriod: await paidTransfersIn(db, since, before), named: await liveTransfersOf(db, named) },
    reported.value.map((t) => ({
      providerTransferId: t.id,
      amountMinor: t.amount.amountMinor,
      destination: t.destination,
      subOrderId: t.metadata?.subOrderId ?? null,
    })),
  );
  const fees = await recordProviderFees(db, provider, since, before);
  if (fees) problems.push(fees);
  const providerFeesMinor = await providerFeesIn(db, from, before);
  await recordFigures(
    db,
    runId,
    { ...figures, providerFeesMinor, providerTransfers: reported.value.length },
    problems,
    listedBefore,
  );
  return problems;
}

/**
 * The provider's processing fees on the charges listed, from its balance transactions: the
 * platform's cost, posted once per balance transaction and shown apart from the marketplace's fees.
 * Answers the problem that stops the run, if any.
 */
async function recordProviderFees(
  db: Db,
  provider: PayoutProvider,
  from: string,
  before: string,
): Promise<string | undefined> {
  const moves = await provider.reports.balanceTransactions({ from: new Date(from), before: new Date(before) });
  if (!moves.ok) return `could not read the provider's balance transactions: ${moves.message}`;
  const charged = moves.value.filter((m) => m.fee.amountMinor > 0 && m.sourceId !== null);
  const paid = new Map(
    (
      await paymentsByCharge(
        db,
        charged.map((m) => m.sourceId!),
      )
    ).map((p) => [p.chargeId, p]),
  );
  const journals = charged.flatMap((m) => {
    const p = paid.get(m.sourceId);
    if (!p) return [];
    const head = {
      currency: p.currency,
      at: m.createdAt.toISOString(),
      orderId: p.orderId,
      paymentId: p.paymentId,
      balanceTransactionId: m.id,
    };
    return [providerFeePosting(head, m.fee.amountMinor)];
  });
  // A run posts the fees of all it lists, those posted before left as they are (the first run
  // after a halt lists from the last one that held), so their number must not set the statements'
  // count: a busy month is thousands of charges.
  await runBatch(db, postJournals(db, journals));
}

/**
 * Stops a run before it pays any sub-order due. What it settled first (transfers a dead run left,
 * refunds taken back) did move money, and the alert says so rather than "paid nothing".
 */
async function halt(
  db: Db,
  runId: string,
  problems: string[],
  at: string,
  before: { settled: number; reversals: number },
) {
  const moved =
    before.settled + before.reversals > 0
      ? ` It first settled ${before.settled} transfer(s) a stopped run had left and took back ${before.reversals} refund(s) from transfers.`
      : "";
  await finishRun(db, runId, "halted", at, [
    queueOpsAlert(db, {
      template: "payout_run_halted",
      dedupeKey: `payout_run_halted:${runId}`,
      text: `The payout run ${runId} stopped before paying any sub-order due: ${problems.length} reconciliation problem(s). ${problems[0]}${moved}`,
      params: { runId, problems: problems.length },
      at,
    }),
  ]);
}

/** A continuation's page of the run that is still running. */
export async function continuePayouts(env: Env, now: Date, after: After): Promise<RunResult> {
  const db = database(env);
  const run = await liveRun(db, isoSeconds(leaseFrom(now)));
  // A page continues only the run that sent it (its clock is the run's): a late page of an earlier
  // run must never pay for a run that has not reconciled yet.
  if (!run || run.periodBefore !== isoSeconds(now)) return { status: "skipped", reason: "no payout run is running" };
  const page = await payPage(env, db, payoutProvider(env), run.id, now, after);
  return { status: page.continued ? "running" : "paid", runId: run.id, ...page };
}

async function payPage(
  env: Env,
  db: Db,
  provider: PayoutProvider,
  runId: PayoutRun["id"],
  now: Date,
  after: After | undefined,
): Promise<PageResult> {
  const at = isoSeconds(now);
  if (!(await renewLease(db, runId, isoSeconds(leaseFrom(now).getTime() + LEASE_MS)))) {
    return { transfers: 0, held: 0, continued: false };
  }
  const cutoff = isoSeconds(now.getTime() - config(env).payoutHoldDays * DAY_MS);
  const { scanned, due, chargesLeft } = await dueSubOrders(db, { deliveredBefore: cutoff, after, limit: PAGE });
  const states = await vendorPayoutStates(
    db,
    due.map((d) => d.vendorId),
  );
  const planned = holdSuspended(planPayouts(due, states), states);
  const plan = { ...planned, transfers: fundFromCharges(planned.transfers, chargesLeft) };
  const { paid } = await payPlan(db, provider, runId, plan, at);
  const last = scanned.at(-1);
  const continued = scanned.length === PAGE && last !== undefined;
  if (continued)
    await continueJob(env, { job: "payouts", at: now.toISOString(), after: { key: last.deliveredAt, id: last.id } });
  else await finishRun(db, runId, "paid", at);
  return { transfers: paid, held: plan.holds.length, continued };
}

/**
 * Writes a page's plan and asks the provider for what it wrote. Each transfer, set-off and its hold
 * is written only while the sub-order's payable and the vendor's carried debt are still what the
 * plan read (`pendingTransferStatements`, `setOffStatements`) and the sub-order is still due (no
 * review hold, no refund owed), and each transfer only while its vendor is active (a suspended
 * vendor's set-offs stand): a page delivered twice may read them on either side of the other
 * delivery's batch, and a plan built on stale reads writes, and asks for, nothing.
 */
export async function payPlan(
  db: Db,
  provider: PayoutProvider,
  runId: PayoutRun["id"],
  plan: ReturnType<typeof planPayouts>,
  at: string,
): Promise<{ paid: number }> {
  const planned = plan.transfers.map((p) => newTransfer(runId, p, at));
  const setOff = new Set(plan.setOffs.map((s) => s.subOrderId));
  await runBatch(db, [
    ...pendingStatements(db, planned),
    ...holdStatements(
      db,
      runId,
      plan.holds.filter((h) => !setOff.has(h.subOrderId)),
    ),
    ...plan.setOffs.flatMap((s) =>
      setOffStatements(
        db,
        runId,
        { ...plan.holds.find((h) => h.subOrderId === s.subOrderId)!, orderId: s.orderId },
        setOffPosting({ ...s, at, runId }, s.payableMinor),
      ),
    ),
  ]);
  // The same page can run twice at once (a queue message delivered twice): each sub-order's pending
  // row is written once (one live transfer per sub-order), and only the call that wrote it asks the
  // provider, under that row's id. The other's transfer ids are new, so its call would pay again.
  const written = await writtenTransferIds(
    db,
    planned.map((t) => t.id),
  );
  const transfers = planned.filter((t) => written.has(t.id));
  const answers = await Promise.all(transfers.map((t) => requestTransfer(provider, t)));
  let paid = 0;
  const second = answers.flatMap((a, i) => {
    const t = transfers[i]!;
    if (a.ok) {
      paid += 1;
      // Counted only while its row is still pending: an answer slower than this run's lease may come
      // back after a later run's settlement found the transfer at the provider and counted it here.
      return [tallySettled(db, t), ...confirmedStatements(db, t, a.value, at)];
    }
    // Only a refusal is final (the sub-order is due again next run, and other vendors are paid);
    // an unanswered request may have made the transfer: the next run's settlement finds out from
    // the provider's list.
    return a.code === "PROVIDER_ERROR" ? [] : failedStatements(db, t, a.message, at);
  });
  await runBatch(db, [
    ...second,
    tallyRun(db, runId, {
      pages: 1,
      transfers: 0,
      transferredMinor: 0,
      held: plan.holds.length,
      reversals: 0,
      reversedMinor: 0,
      carriedMinor: 0,
    }),
  ]);
  return { paid };
}
