import { api } from "../../api";
import { ProblemBanner } from "../../components/ProblemBanner";
import { UpdatedAt } from "../../components/Status";
import { formatMoney } from "../../format";
import { useApi } from "../../use-api";

/** The marketplace's money from the ledger: what came in, what the platform kept, what vendors are owed and were paid. */
export function OpsEarnings({ token, tick }: { token: string; tick: number }) {
  const totals = useApi((signal) => api.platformEarnings(token, signal), [token], tick);
  const t = totals.data;
  const rows: [string, number][] = t
    ? [
        ["Captured from shoppers", t.capturedMinor],
        ["Platform fees", t.platformFeesMinor],
        ["Refunded", t.refundsMinor],
        ["Owed to vendors, pending", t.pendingMinor],
        ["Owed to vendors, cleared", t.clearedMinor],
        ["Transfers in transit", t.inTransitMinor],
        ["Transferred to vendors", t.transferredMinor],
        ["Reassignment cost", t.reassignmentCostMinor],
        ["Provider fees", t.providerFeesMinor],
        ["Carried forward (vendors owe)", t.carriedForwardMinor],
      ]
    : [];
  return (
    <section className="stack">
      <h2>Money</h2>
      <UpdatedAt at={totals.loadedAt} loading={totals.loading && !t} />
      <ProblemBanner error={totals.error} />
      {t && (
        <div className="card">
          <dl className="facts">
            {rows.map(([label, amountMinor]) => (
              <div key={label}>
                <dt>{label}</dt>
                <dd className="money">{formatMoney({ amountMinor, currency: t.currency })}</dd>
              </div>
            ))}
          </dl>
          <p className="muted small">
            Captured = owed to vendors + in transit + transferred + platform fees + refunds − reassignment cost (before
            provider fees and carried debts). Earnings clear {t.holdDays} days after delivery.
          </p>
        </div>
      )}
    </section>
  );
}
