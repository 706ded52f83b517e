import { useState } from "react";
import { api } from "../../api";
import { ExportButtons } from "../../components/ExportButtons";
import {
  AsOf,
  compactMoney,
  Figures,
  money,
  p50p90,
  percent,
  type RangeDays,
  RangePicker,
  rangeEnding,
  whole,
} from "../../components/Insights";
import { ProblemBanner } from "../../components/ProblemBanner";
import { UpdatedAt } from "../../components/Status";
import { TimeChart } from "../../components/TimeChart";
import { useApi } from "../../use-api";

/** The vendor's own trends from the analytics roll-ups: sales, units and returns, best products; and its payouts. */
export function VendorInsights({ token, vendorId }: { token: string; vendorId: string }) {
  const [days, setDays] = useState<RangeDays>(30);
  const [timeZone, setTimeZone] = useState<string | undefined>(undefined);
  const range = rangeEnding(timeZone, days, new Date());
  const key = JSON.stringify(range);
  const report = useApi((signal) => api.vendorAnalytics(token, vendorId, range, signal), [token, vendorId, key]);
  const products = useApi((signal) => api.vendorProductSales(token, vendorId, range, signal), [token, vendorId, key]);
  // Another range's figures are never shown under this one, while it loads or if its read fails.
  const r = report.stale ? null : report.data;
  if (r && !timeZone) setTimeZone(r.timeZone);
  const dayList = r?.days.map((d) => d.day) ?? [];
  const cur = r?.currency ?? "INR";
  const paid = r?.payouts.totals;
  const base = `/v1/analytics/vendors/${encodeURIComponent(vendorId)}`;

  return (
    <section className="stack">
      <div className="row between wrap">
        <RangePicker value={days} onChange={setDays} />
        <UpdatedAt at={report.loadedAt} loading={report.loading && !r} />
      </div>
      <ProblemBanner error={report.error ?? products.error} />
      {r && paid && (
        <div className="card stack">
          <AsOf asOf={r.asOf} from={r.from} to={r.to} timeZone={r.timeZone} />
          <Figures
            items={[
              { label: "Sales", value: money(r.totals.salesMinor, cur) },
              { label: "Paid out", value: money(paid.paidMinor, cur) },
              { label: "Units sold", value: String(r.totals.units) },
              { label: "Return rate", value: percent(r.totals.returnRateBps) },
              { label: "Cancellation rate", value: percent(r.totals.cancellationRateBps) },
              { label: "SLA breach rate", value: percent(r.totals.slaBreachRateBps) },
              { label: "To dispatch p50 / p90", value: p50p90(r.timeToDispatch) },
              {
                label: `Held back (${paid.heldBackSubOrders} sub-orders)`,
                value: money(paid.heldBackMinor, cur),
              },
              { label: "Last payout", value: paid.lastPaidOn ?? "—" },
            ]}
          />
          <div className="charts">
            <TimeChart
              title="Sales a day"
              days={dayList}
              format={(v) => compactMoney(v, cur)}
              emptyMax={100}
              series={[{ label: "Sales", values: r.days.map((d) => d.salesMinor), color: "#1d4ed8", bars: true }]}
            />
            <TimeChart
              title="Units and returns a day"
              days={dayList}
              format={whole}
              series={[
                { label: "Units", values: r.days.map((d) => d.units), color: "#15803d" },
                { label: "Returned", values: r.days.map((d) => d.returnedUnits), color: "#0369a1" },
                { label: "Cancelled", values: r.days.map((d) => d.cancelledSubOrders), color: "#b91c1c" },
              ]}
            />
            <TimeChart
              title="Payouts a day"
              days={dayList}
              format={(v) => compactMoney(v, cur)}
              emptyMax={100}
              series={[
                { label: "Paid out", values: r.payouts.days.map((d) => d.paidMinor), color: "#7c3aed", bars: true },
                { label: "Reversed", values: r.payouts.days.map((d) => d.reversedMinor), color: "#b91c1c" },
              ]}
            />
          </div>
          <ExportButtons token={token} path={`${base}/export`} query={range} label="Sales report" />
        </div>
      )}
      {products.data && !products.stale && (
        <section className="card stack" aria-label="Sales by product">
          <h3>Sales by product</h3>
          {products.data.items.length === 0 ? (
            <p className="muted">No sales in this range.</p>
          ) : (
            <ul className="cards">
              {products.data.items.slice(0, 10).map((p) => (
                <li key={p.productId} className="row between wrap">
                  <span>{p.title}</span>
                  <span className="small">
                    {p.units} units · {money(p.salesMinor, products.data!.currency)} · returns{" "}
                    {percent(p.returnRateBps)}
                  </span>
                </li>
              ))}
            </ul>
          )}
          <div className="row wrap">
            <ExportButtons token={token} path={`${base}/products/export`} query={range} label="By product" />
            <ExportButtons token={token} path={`${base}/inventory/export`} query={range} label="Inventory" />
          </div>
        </section>
      )}
    </section>
  );
}
