import { useState } from "react";
import { api } from "../../api";
import { ProblemBanner } from "../../components/ProblemBanner";
import { ShowMore } from "../../components/ShowMore";
import { Status, UpdatedAt } from "../../components/Status";
import { saveFile } from "../../download";
import { formatMoney, formatTime, humanize, shortId } from "../../format";
import type { SubOrderEarnings } from "../../types";
import { useApi } from "../../use-api";

/** Sub-orders a "Show more" adds. */
const PAGE = 20;

const money = (amountMinor: number, currency: string) => formatMoney({ amountMinor, currency });

/**
 * A sub-order's figures, in its own currency: the totals come from another request, which may not
 * have answered yet (or may have failed), so they cannot lend the rows theirs.
 */
export function subOrderFigures(s: SubOrderEarnings): string {
  const m = (amountMinor: number) => money(amountMinor, s.currency);
  return [
    `Owed ${m(s.payableMinor)} · goods ${m(s.goodsMinor)} + shipping ${m(s.shippingMinor)} − fee ${m(s.feeMinor)}`,
    s.adjustmentMinor !== 0 ? ` + reassignment ${m(s.adjustmentMinor)}` : "",
    s.refundedMinor > 0 ? ` · refunded ${m(s.refundedMinor)}` : "",
    s.transferredMinor > 0 ? ` · transferred ${m(s.transferredMinor)}` : "",
    s.setOffMinor > 0 ? ` · set against debt ${m(s.setOffMinor)}` : "",
  ].join("");
}

/**
 * What the vendor has earned, from the ledger: pending (not delivered yet, or inside the payout
 * hold), cleared (payable at the next payout), in transit and transferred, then each sub-order's
 * figures and history, newest first.
 */
export function Earnings({ token, vendorId, tick }: { token: string; vendorId: string; tick: number }) {
  const totals = useApi((signal) => api.earnings(token, vendorId, signal), [token, vendorId], tick);
  // Rows shown grow by a page per "Show more"; each reload reads them all again (see api.ts).
  const [shown, setShown] = useState(PAGE);
  const rows = useApi(
    (signal) => api.earningsSubOrders(token, vendorId, shown, signal),
    [token, vendorId, shown],
    tick,
  );
  const [error, setError] = useState<unknown>(null);
  const items = rows.data?.items ?? [];
  const t = totals.data;
  return (
    <section className="stack">
      <UpdatedAt at={totals.loadedAt} loading={totals.loading && !t} />
      <ProblemBanner error={totals.error ?? rows.error ?? error} />
      {t && (
        <div className="card">
          <dl className="facts">
            <div>
              <dt>Pending</dt>
              <dd className="money">{money(t.pendingMinor, t.currency)}</dd>
            </div>
            <div>
              <dt>Cleared (payable now)</dt>
              <dd className="money">{money(t.clearedMinor, t.currency)}</dd>
            </div>
            <div>
              <dt>In transit</dt>
              <dd className="money">{money(t.inTransitMinor, t.currency)}</dd>
            </div>
            <div>
              <dt>Transferred</dt>
              <dd className="money">{money(t.transferredMinor, t.currency)}</dd>
            </div>
            {t.carriedForwardMinor !== 0 && (
              <div>
                <dt>Owed back, off your next payout</dt>
                <dd className="money">{money(t.carriedForwardMinor, t.currency)}</dd>
              </div>
            )}
          </dl>
          <p className="muted small">
            Earnings clear {t.holdDays} days after delivery. Pending covers orders not delivered yet or still inside
            that hold.
          </p>
        </div>
      )}
      {rows.data?.items.length === 0 && <p className="muted">No earnings yet.</p>}
      <ul className="cards">
        {items.map((s) => (
          <li key={s.subOrderId} className="card sub-card">
            <div className="row between wrap">
              <code>{shortId(s.subOrderId)}</code>
              <Status value={s.state} />
            </div>
            <p className="small">{subOrderFigures(s)}</p>
            <p className="muted small">
              {humanize(s.status)}
              {s.clearsAt && <> · clears {formatTime(s.clearsAt)}</>}
            </p>
            <ul className="plain small">
              {s.history.map((h, i) => (
                // Two journals of one kind can share a second; their order is the ledger's.
                // biome-ignore lint/suspicious/noArrayIndexKey: history rows are never reordered or removed.
                <li key={i}>
                  {formatTime(h.at)} · {humanize(h.kind)} · {money(h.payableMinor, s.currency)}
                </li>
              ))}
              {s.creditNotes.map((n) => (
                <li key={n.id}>
                  Credit note {n.number ?? shortId(n.id)} · {money(n.amountMinor, s.currency)} · {humanize(n.reason)}{" "}
                  <button
                    type="button"
                    className="link-button"
                    onClick={() =>
                      void saveFile(
                        token,
                        n.pdfUrl,
                        `credit-note-${(n.number ?? n.id).replaceAll("/", "-")}.pdf`,
                      ).catch(setError)
                    }
                  >
                    PDF
                  </button>
                </li>
              ))}
            </ul>
          </li>
        ))}
      </ul>
      <ShowMore list={rows} step={PAGE} show={setShown} />
    </section>
  );
}
