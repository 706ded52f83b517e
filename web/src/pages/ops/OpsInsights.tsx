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

/** The platform's trends from the analytics roll-ups: GMV, orders, fulfilment issues, top vendors. */
export function OpsInsights({ token }: { token: string }) {
  const [days, setDays] = useState<RangeDays>(30);
  const [timeZone, setTimeZone] = useState<string | undefined>(undefined);
  const range = rangeEnding(timeZone, days, new Date());
  const report = useApi((signal) => api.platformAnalytics(token, range, signal), [token, JSON.stringify(range)]);
  const top = useApi(
    (signal) => api.topVendors(token, { ...range, limit: 10 }, signal),
    [token, JSON.stringify(range)],
  );
  // Another range's figures are never shown under this one, while it loads or if its read fails.
  const r = report.stale ? null : report.data;
  if (r && !timeZone) setTimeZone(r.timeZone);
  const dayList = r?.days.map((d) => d.day) ?? [];
  const cur = r?.currency ?? "INR";

  return (
    <section className="card stack">
      <div className="row between wrap">
        <h2>Insights</h2>
        <UpdatedAt at={report.loadedAt} loading={report.loading && !r} />
      </div>
      <RangePicker value={days} onChange={setDays} />
      <ProblemBanner error={report.error ?? top.error} />
      {r && (
        <>
          <AsOf asOf={r.asOf} from={r.from} to={r.to} timeZone={r.timeZone} />
          <Figures
            items={[
              { label: "GMV", value: money(r.totals.gmvMinor, cur) },
              { label: "Orders paid", value: String(r.totals.ordersPaid) },
              { label: "Sub-orders", value: String(r.totals.subOrders) },
              { label: "Sellers per cart", value: (r.totals.avgSellersPerCartX100 / 100).toFixed(2) },
              { label: "Fulfilment errors", value: percent(r.totals.fulfilmentErrorRateBps) },
              { label: "SLA breaches / nudges", value: `${r.totals.slaBreaches} / ${r.totals.slaNudges}` },
              { label: "To dispatch p50 / p90", value: p50p90(r.timeToDispatch) },
              { label: "To delivery p50 / p90", value: p50p90(r.timeToDelivery) },
            ]}
          />
          <div className="charts">
            <TimeChart
              title="GMV a day"
              days={dayList}
              format={(v) => compactMoney(v, cur)}
              emptyMax={100}
              series={[{ label: "GMV", values: r.days.map((d) => d.gmvMinor), color: "#1d4ed8", bars: true }]}
            />
            <TimeChart
              title="Orders a day"
              days={dayList}
              format={whole}
              series={[
                { label: "Placed", values: r.days.map((d) => d.ordersPlaced), color: "#64748b" },
                { label: "Paid", values: r.days.map((d) => d.ordersPaid), color: "#1d4ed8" },
                { label: "Sub-orders", values: r.days.map((d) => d.subOrders), color: "#15803d" },
              ]}
            />
            <TimeChart
              title="Fulfilment issues a day"
              days={dayList}
              format={whole}
              series={[
                { label: "Cancelled", values: r.days.map((d) => d.cancelledSubOrders), color: "#b91c1c" },
                { label: "SLA breaches", values: r.days.map((d) => d.slaBreaches), color: "#a16207" },
                { label: "Returned", values: r.days.map((d) => d.returnedSubOrders), color: "#0369a1" },
              ]}
            />
          </div>
          <ExportButtons token={token} path="/v1/analytics/platform/export" query={range} label="Platform report" />
        </>
      )}
      {top.data && !top.stale && (
        <section className="stack" aria-label="Top vendors">
          <h3>Top vendors</h3>
          {top.data.items.length === 0 ? (
            <p className="muted">No sales in this range.</p>
          ) : (
            <table className="orders">
              <thead>
                <tr>
                  <th>Vendor</th>
                  <th className="num">Sales</th>
                  <th className="num">Sub-orders</th>
                  <th className="num">Units</th>
                  <th className="num">Cancelled</th>
                </tr>
              </thead>
              <tbody>
                {top.data.items.map((v) => (
                  <tr key={v.vendorId}>
                    <td data-label="Vendor">{v.vendorName}</td>
                    <td data-label="Sales" className="num">
                      {money(v.gmvMinor, top.data!.currency)}
                    </td>
                    <td data-label="Sub-orders" className="num">
                      {v.subOrders}
                    </td>
                    <td data-label="Units" className="num">
                      {v.units}
                    </td>
                    <td data-label="Cancelled" className="num">
                      {v.cancelledSubOrders}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <ExportButtons
            token={token}
            path="/v1/analytics/platform/top-vendors/export"
            query={range}
            label="Top vendors"
          />
        </section>
      )}
    </section>
  );
}
