import { useState } from "react";
import { api } from "../../api";
import { ProblemBanner } from "../../components/ProblemBanner";
import { ShowMore } from "../../components/ShowMore";
import { UpdatedAt } from "../../components/Status";
import { saveFile } from "../../download";
import { formatMoney, formatTime } from "../../format";
import { useApi } from "../../use-api";

/** Payouts shown at first, and each "Show more" adds. */
const PAYOUTS_PAGE = 50;

/** The vendor's payouts, newest first, each with its statement to download. */
export function VendorPayouts({ token, vendorId }: { token: string; vendorId: string }) {
  // Every statement stays reachable for the vendor's books: "Show more" reads further back.
  const [shown, setShown] = useState(PAYOUTS_PAGE);
  const payouts = useApi((signal) => api.vendorPayouts(token, vendorId, shown, signal), [token, vendorId, shown]);
  const [error, setError] = useState<unknown>(null);
  const statement = (runId: string, format: "csv" | "pdf") =>
    saveFile(
      token,
      `/v1/vendors/${encodeURIComponent(vendorId)}/payouts/${encodeURIComponent(runId)}/statement.${format}`,
      `payout-${runId}.${format}`,
    ).catch(setError);
  return (
    <section className="stack">
      <h2>Payouts</h2>
      <UpdatedAt at={payouts.loadedAt} loading={payouts.loading && !payouts.data} />
      <ProblemBanner error={payouts.error ?? error} />
      {payouts.data?.items.length === 0 && (
        <p className="muted">No payout yet: delivered orders are paid once their hold has passed.</p>
      )}
      <ul className="cards">
        {payouts.data?.items.map((p) => (
          <li key={p.runId} className="card">
            <div className="row between wrap">
              <strong>{formatMoney({ amountMinor: p.amountMinor, currency: p.currency })}</strong>
              <span className="small muted">{formatTime(p.startedAt)}</span>
            </div>
            <p className="small">
              {p.transfers} sub-order{p.transfers === 1 ? "" : "s"}
              {p.carriedForwardMinor > 0 && (
                <>
                  {" "}
                  · {formatMoney({ amountMinor: p.carriedForwardMinor, currency: p.currency })} of earlier refunds
                  netted off
                </>
              )}
              {p.reversedMinor > 0 && (
                <>
                  {" "}
                  · {formatMoney({ amountMinor: p.reversedMinor, currency: p.currency })} taken back for refunds since
                </>
              )}
            </p>
            <div className="row wrap">
              <button type="button" className="button" onClick={() => statement(p.runId, "pdf")}>
                Statement (PDF)
              </button>
              <button type="button" className="button" onClick={() => statement(p.runId, "csv")}>
                Statement (CSV)
              </button>
            </div>
          </li>
        ))}
      </ul>
      <ShowMore list={payouts} step={PAYOUTS_PAGE} show={setShown} />
    </section>
  );
}
