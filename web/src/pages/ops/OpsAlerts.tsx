import { useState } from "react";
import { api } from "../../api";
import { ProblemBanner } from "../../components/ProblemBanner";
import { ShowMore } from "../../components/ShowMore";
import { UpdatedAt } from "../../components/Status";
import { formatTime, humanize } from "../../format";
import { useApi } from "../../use-api";

/** Alerts shown at first, and each "Show more" adds. */
const ALERTS_PAGE = 20;

/**
 * What needs a person, newest first: refunds the provider failed or keeps refusing, halted payout
 * runs, reassignments' stuck stock. Each alert's text says what happened and what ops can do.
 */
export function OpsAlerts({ token, tick }: { token: string; tick: number }) {
  const [shown, setShown] = useState(ALERTS_PAGE);
  const alerts = useApi((signal) => api.opsAlerts(token, shown, signal), [token, shown], tick);
  return (
    <section className="stack">
      <h2>Alerts</h2>
      <UpdatedAt at={alerts.loadedAt} loading={alerts.loading && !alerts.data} />
      <ProblemBanner error={alerts.error} />
      {alerts.data?.items.length === 0 && <p className="muted">No alerts: nothing is waiting for ops.</p>}
      <ul className="cards">
        {alerts.data?.items.map((a) => (
          <li key={a.id} className="card">
            <div className="row between wrap">
              <strong>{humanize(a.template)}</strong>
              <time className="small muted" dateTime={a.createdAt}>
                {formatTime(a.createdAt)}
              </time>
            </div>
            <p className="small">{a.text}</p>
          </li>
        ))}
      </ul>
      <ShowMore list={alerts} step={ALERTS_PAGE} show={setShown} />
    </section>
  );
}
