import { useState } from "react";
import { orderStatuses } from "../../../src/domain/order-status";
import { api } from "../api";
import { formatMoney, formatTime, humanize, shortId } from "../format";
import { Link, navigate } from "../router";
import type { OrderStatus } from "../types";
import { useApi } from "../use-api";
import { ProblemBanner } from "./ProblemBanner";
import { Status, UpdatedAt } from "./Status";

const PAGE_SIZE = 50;

/**
 * Orders as the signed-in principal may see them (the API scopes a vendor to its own sub-orders),
 * paged by the server's opaque cursor; earlier cursors are kept so "Previous" needs no offset.
 */
export function OrderList({ token, basePath, vendorView }: { token: string; basePath: string; vendorView?: boolean }) {
  const [status, setStatus] = useState<OrderStatus | "">("");
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const cursor = cursors[cursors.length - 1] ?? null;
  const page = useApi(
    (signal) => api.orders(token, { status, limit: PAGE_SIZE, cursor }, signal),
    [token, status, cursor],
  );

  const changeStatus = (s: OrderStatus | "") => {
    setStatus(s);
    setCursors([null]);
  };

  return (
    <section className="card stack">
      <div className="row between wrap">
        <h2>{vendorView ? "Your orders" : "Orders"}</h2>
        <div className="row toolbar">
          <label className="field inline grow">
            <span>Status</span>
            <select value={status} onChange={(e) => changeStatus(e.target.value as OrderStatus | "")}>
              <option value="">All</option>
              {orderStatuses.map((s) => (
                <option key={s} value={s}>
                  {humanize(s)}
                </option>
              ))}
            </select>
          </label>
          <button type="button" className="button" onClick={page.reload} disabled={page.loading}>
            Refresh
          </button>
        </div>
      </div>
      <UpdatedAt at={page.loadedAt} loading={page.loading} />
      <ProblemBanner error={page.error} />
      {page.data && page.data.items.length === 0 && (
        <p className="muted">No orders{status ? ` ${humanize(status)}` : ""}.</p>
      )}
      {page.data && page.data.items.length > 0 && (
        <table className="orders">
          <thead>
            <tr>
              <th>Order</th>
              <th>Placed</th>
              <th>Status</th>
              <th>Payment</th>
              <th>{vendorView ? "Your shipments" : "Vendors"}</th>
              <th className="num">{vendorView ? "Your total" : "Total"}</th>
            </tr>
          </thead>
          <tbody>
            {page.data.items.map((o) => {
              const href = `${basePath}/orders/${encodeURIComponent(o.id)}`;
              const ownTotal = vendorView
                ? o.subOrders.reduce((sum, s) => sum + s.total.amountMinor, 0)
                : (o.total?.amountMinor ?? null);
              const currency = o.total?.currency ?? o.subOrders[0]?.total.currency ?? "INR";
              return (
                <tr key={o.id} className="clickable" onClick={() => navigate(href)}>
                  <td data-label="Order">
                    <Link to={href} title={o.id} onClick={(e) => e.stopPropagation()}>
                      <code>{shortId(o.id)}</code>
                    </Link>
                  </td>
                  <td data-label="Placed">{formatTime(o.createdAt)}</td>
                  <td data-label="Status">
                    <Status value={o.status} />
                  </td>
                  <td data-label="Payment">
                    <Status value={o.paymentStatus} />
                  </td>
                  <td data-label={vendorView ? "Shipments" : "Vendors"}>
                    {vendorView ? o.subOrders.map((s) => <Status key={s.id} value={s.status} />) : o.subOrders.length}
                  </td>
                  <td data-label="Total" className="num money">
                    {ownTotal === null ? "—" : formatMoney({ amountMinor: ownTotal, currency })}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {(cursors.length > 1 || page.data?.nextCursor) && (
        <div className="row between">
          <button
            type="button"
            className="button"
            disabled={cursors.length <= 1 || page.loading}
            onClick={() => setCursors((c) => c.slice(0, -1))}
          >
            ← Previous
          </button>
          <span className="muted small">Page {cursors.length}</span>
          <button
            type="button"
            className="button"
            disabled={!page.data?.nextCursor || page.loading}
            onClick={() => {
              const next = page.data?.nextCursor;
              if (next) setCursors((c) => [...c, next]);
            }}
          >
            Next →
          </button>
        </div>
      )}
    </section>
  );
}
