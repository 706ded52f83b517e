import { useState } from "react";
import { api } from "../../api";
import { ProblemBanner } from "../../components/ProblemBanner";
import { ShowMore } from "../../components/ShowMore";
import { Status, UpdatedAt } from "../../components/Status";
import { saveFile } from "../../download";
import { formatMoney, formatTime, shortId } from "../../format";
import { Link } from "../../router";
import type { Page, PayoutRun } from "../../types";
import { useApi } from "../../use-api";

/** Runs shown at first, and each "Show more" adds: a day of hourly runs. */
const RUNS_PAGE = 24;

/** Runs the banner reads first: the live one and the last few closed; enough while runs complete. */
const BANNER_FIRST = 4;
/** How far back it reads when none of those completed: a week of hourly runs, one request. */
const BANNER_REACH = 7 * 24;

/**
 * The runs the banner judges, newest first: the latest few, and a week of them when none of those
 * completed, so a halt or a streak of interrupted runs is told from the last run that paid.
 */
export async function bannerRuns(token: string, signal?: AbortSignal): Promise<Page<PayoutRun>> {
  const latest = await api.payoutRuns(token, BANNER_FIRST, signal);
  if (!latest.nextCursor || latest.items.some((r) => r.status === "paid")) return latest;
  return api.payoutRuns(token, BANNER_REACH, signal);
}

export type PayoutAlert = { title: string; lines: string[] };

/**
 * What the banner says about `runs` (newest first; `more` when older ones exist), or null while
 * the latest closed run completed. Every closed run since the last that completed counts: a run
 * that dies is closed as `interrupted` by the next (src/db/payouts.ts `startRun`), so a halt
 * followed by dead runs stays told, and runs that all die, paying no vendor, are told at all.
 */
export function payoutAlert(runs: PayoutRun[], more: boolean, time = formatTime): PayoutAlert | null {
  // A running run is either live or dead and not closed yet: the next run closes it as interrupted.
  const closed = runs.filter((r) => r.status !== "running");
  const paidAt = closed.findIndex((r) => r.status === "paid");
  const since = paidAt === -1 ? closed : closed.slice(0, paidAt);
  const latest = since[0];
  if (!latest) return null;
  const halted = since.find((r) => r.status === "halted");
  const interrupted = since.filter((r) => r.status === "interrupted").length;
  const ofRuns = `${interrupted} of the last ${since.length} run${since.length === 1 ? "" : "s"}`;
  const lines: string[] = [];
  if (latest.status === "interrupted") {
    lines.push(
      `The run of ${time(latest.startedAt)} stopped before it finished${interrupted > 1 ? ` (${ofRuns} did)` : ""}.`,
    );
  }
  if (halted) {
    const problem = halted.problems[0] ?? "its reconciliation did not hold";
    const others = halted.problems.length > 1 ? ` (and ${halted.problems.length - 1} more)` : "";
    lines.push(`The run of ${time(halted.startedAt)} paid nothing: ${problem}${others}.`);
  }
  if (latest.status !== "interrupted" && interrupted > 0) lines.push(`${ofRuns} stopped before they finished.`);
  const lastPaid = paidAt === -1 ? null : closed[paidAt]!;
  const oldest = runs.at(-1)!;
  lines.push(
    lastPaid
      ? `No run has completed since ${time(lastPaid.finishedAt ?? lastPaid.startedAt)}.`
      : more
        ? `No run has completed since before ${time(oldest.startedAt)}.`
        : "No run has completed yet.",
  );
  return { title: halted ? "Payouts stopped." : "Payouts interrupted.", lines };
}

/**
 * Above the orders: loud while no run has completed since one halted or stopped before finishing;
 * the vendors are paid by none of them.
 */
export function PayoutBanner({ token, tick }: { token: string; tick: number }) {
  const runs = useApi((signal) => bannerRuns(token, signal), [token], tick);
  const alert = runs.data && payoutAlert(runs.data.items, runs.data.nextCursor !== null);
  if (!alert) return null;
  return (
    <div className="problem" role="alert">
      <strong>{alert.title}</strong> {alert.lines.join(" ")} <Link to="/ops/payouts">See payout runs</Link>
    </div>
  );
}

function ReconciliationLink({ token, run }: { token: string; run: PayoutRun }) {
  const [error, setError] = useState<unknown>(null);
  const save = () =>
    saveFile(
      token,
      `/v1/payouts/runs/${encodeURIComponent(run.id)}/reconciliation.csv`,
      `reconciliation-${run.id}.csv`,
    ).catch(setError);
  return (
    <>
      <button type="button" className="link-button" onClick={save}>
        Reconciliation CSV
      </button>
      <ProblemBanner error={error} />
    </>
  );
}

/** Every payout run: what it paid, held back and why, and its reconciliation to download. */
export function PayoutRuns({ token, tick }: { token: string; tick: number }) {
  // An hourly job: a day's runs at first, each "Show more" a day more, so last week's halt is reachable.
  const [shown, setShown] = useState(RUNS_PAGE);
  const runs = useApi((signal) => api.payoutRuns(token, shown, signal), [token, shown], tick);
  return (
    <section className="stack">
      <h2>Payout runs</h2>
      <UpdatedAt at={runs.loadedAt} loading={runs.loading && !runs.data} />
      <ProblemBanner error={runs.error} />
      {runs.data?.items.length === 0 && <p className="muted">No payout run yet: the job runs every hour.</p>}
      <ul className="cards">
        {runs.data?.items.map((r) => (
          <li key={r.id} className="card">
            <div className="row between wrap">
              <code title={r.id}>{shortId(r.id)}</code>
              <Status value={r.status} />
            </div>
            <p className="small">
              {formatTime(r.startedAt)} · {r.transfers} transferred,{" "}
              {formatMoney({ amountMinor: r.transferredMinor, currency: r.currency })}
              {r.held > 0 && <> · {r.held} held back</>}
              {r.reversals > 0 && (
                <>
                  {" "}
                  · {r.reversals} reversed, {formatMoney({ amountMinor: r.reversedMinor, currency: r.currency })}
                </>
              )}
              {r.carriedMinor > 0 && (
                <> · {formatMoney({ amountMinor: r.carriedMinor, currency: r.currency })} carried forward</>
              )}
            </p>
            {r.problems.length > 0 && (
              <ul className="small">
                {r.problems.map((p) => (
                  <li key={p}>{p}</li>
                ))}
              </ul>
            )}
            <ReconciliationLink token={token} run={r} />
          </li>
        ))}
      </ul>
      <ShowMore list={runs} step={RUNS_PAGE} show={setShown} />
    </section>
  );
}
