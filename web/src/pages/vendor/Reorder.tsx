import { type FormEvent, useState } from "react";
import { api } from "../../api";
import { ProblemBanner } from "../../components/ProblemBanner";
import { UpdatedAt } from "../../components/Status";
import { useApi } from "../../use-api";

/**
 * Reorder suggestions: per SKU, the units to order now and the day stock runs out at the last four
 * weeks' sales, soonest first; the vendor sets each SKU's lead time here, which moves both.
 */
export function Reorder({ token, vendorId }: { token: string; vendorId: string }) {
  const list = useApi((signal) => api.reorderSuggestions(token, vendorId, signal), [token, vendorId]);
  const [error, setError] = useState<unknown>(null);
  const saveLeadTime = async (e: FormEvent<HTMLFormElement>, skuId: string) => {
    e.preventDefault();
    const days = Number(new FormData(e.currentTarget).get("leadTimeDays"));
    setError(null);
    try {
      await api.setLeadTime(token, skuId, days);
      list.reload();
    } catch (err) {
      setError(err);
    }
  };
  const data = list.data;
  return (
    <section className="stack">
      <h2>Reorder</h2>
      <UpdatedAt at={list.loadedAt} loading={list.loading && !data} />
      <ProblemBanner error={list.error ?? error} />
      {data && (
        <p className="muted">
          Sales over the last {data.windowDays} days; a reorder should last its lead time and {data.coverDays} days
          after. Sales as of {data.asOf ? new Date(data.asOf).toLocaleString() : "the first roll-up (not yet run)"}.
        </p>
      )}
      {data?.items.length === 0 && <p className="muted">No active SKUs.</p>}
      <ul className="cards">
        {data?.items.map((s) => (
          <li key={s.skuId} className="card">
            <div className="row between wrap">
              <strong>
                {s.title} <span className="muted">{s.code}</span>
              </strong>
              {s.low && <span className="status status-bad">Low stock</span>}
            </div>
            <p>
              {s.available} available · {(s.velocityPerDayX100 / 100).toFixed(2)} sold a day ·{" "}
              {s.runOutDate ? `runs out ${s.runOutDate}` : "not selling"}
            </p>
            <p>
              {s.quantity > 0 ? (
                <strong>
                  Order {s.quantity} by {s.orderBy}
                </strong>
              ) : (
                <span className="muted">Nothing to order yet</span>
              )}
            </p>
            <form className="row wrap" onSubmit={(e) => void saveLeadTime(e, s.skuId)}>
              <label>
                Lead time (days){" "}
                <input name="leadTimeDays" type="number" min={0} max={365} defaultValue={s.leadTimeDays} required />
              </label>
              <button type="submit">Save</button>
            </form>
          </li>
        ))}
      </ul>
    </section>
  );
}
