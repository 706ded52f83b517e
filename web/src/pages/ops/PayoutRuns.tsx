import { useState } from "react";
import { api } from "../../api";
import { ProblemBanner } from "../../components/ProblemBanner";
import { Status, UpdatedAt } from "../../components/Status";
import { saveFile } from "../../download";
import { formatMoney, formatTime, shortId } from "../../format";
import { Link } from "../../router";
import type { PayoutRun } from "../../types";
import { useApi } from "../../use-api";

/** Runs shown at first, and each "Show more" adds: a day of hourly runs. */
const RUNS_PAGE = 24;

/** Above the orders: the latest payout run, loud when its reconciliation stopped it. */
export function PayoutBanner({ token, tick }: { token: string; tick: number }) {
  const latest = useApi((signal) => api.latestPayoutRun(token, signal), [token], tick);
  const run = latest.data?.latest;
  if (run?.status !== "halted") return null;
  return (
    <div className="problem" role="alert">
      <strong>Payouts stopped.</strong> The run of {formatTime(run.startedAt)} paid nothing:{" "}
      {run.problems[0] ?? "its reconciliation did not hold"}
      {run.problems.length > 1 && <> (and {run.problems.length - 1} more)</>}.{" "}
      <Link to="/ops/payouts">See payout runs</Link>
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
      {runs.data?.nextCursor && (
        <button
          type="button"
          className="button"
          disabled={runs.loading}
          onClick={() => setShown((runs.data?.items.length ?? 0) + RUNS_PAGE)}
        >
          Show more
        </button>
      )}
    </section>
  );
}
