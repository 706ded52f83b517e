import { useEffect, useMemo, useState } from "react";
import { orderStatuses } from "../../../../src/contracts/order-status";
import { type CancelReason, cancelReasons } from "../../../../src/contracts/orders";
import { api } from "../../api";
import { ExportButtons } from "../../components/ExportButtons";
import { ProblemBanner } from "../../components/ProblemBanner";
import { Status, UpdatedAt } from "../../components/Status";
import { formatMoney, formatTime, humanize, shortId } from "../../format";
import { Link, navigate, useLocation } from "../../router";
import type { BulkResults, OrderStatus } from "../../types";
import { useApi } from "../../use-api";
import { BulkResultList } from "./BulkResultList";

const FILTERS = ["status", "vendorId", "warehouseId", "from", "to", "held", "sort"] as const;
type Filters = Partial<Record<(typeof FILTERS)[number], string>>;

/** Filters live in the URL, so a filtered view is a link ops can share. */
function useFilters(): [Filters, (f: Filters) => void] {
  const { search } = useLocation();
  const params = new URLSearchParams(search);
  const filters: Filters = {};
  for (const k of FILTERS) {
    const v = params.get(k);
    if (v) filters[k] = v;
  }
  const set = (f: Filters) => {
    const next = new URLSearchParams();
    for (const [k, v] of Object.entries(f)) if (v) next.set(k, v);
    const qs = next.toString();
    navigate(`/ops${qs ? `?${qs}` : ""}`, { replace: true });
  };
  return [filters, set];
}

/**
 * A date filter from the URL (a local date-time input's value) as the whole-second UTC instant the
 * API takes. The URL is a link anyone may have typed or shared (`?from=yesterday`): an entry the
 * browser cannot read is left out, as the vendor's export does, rather than throwing in render.
 */
export function toIso(local: string | undefined): string | undefined {
  const t = local ? new Date(local) : null;
  return t && !Number.isNaN(t.getTime()) ? t.toISOString().replace(/\.\d{3}Z$/, "Z") : undefined;
}

/**
 * The selection a bulk action may act on: the selected ids among the rows on screen. Ops screens act
 * only on what they show: an order that left the list since it was ticked (approved by a colleague
 * out of the held filter, paid, or on another page) is not cancelled and refunded unseen. The same
 * set when all of it is on screen, so React keeps its state.
 */
export function selectionOnScreen(selected: Set<string>, rows: readonly { id: string }[]): Set<string> {
  const kept = new Set(rows.filter((r) => selected.has(r.id)).map((r) => r.id));
  return kept.size === selected.size ? selected : kept;
}

/** The pages turned (the cursor of each, `null` the first) and the filters, as a key, they were turned for. */
export type Paging = { filters: string; cursors: (string | null)[] };

/**
 * The pages turned for the filters on screen. Filters also change by a link (the Orders tab, the top
 * bar's Ops) while this page stays mounted; a cursor from other filters would start the list mid-way
 * (it does not record the sort's direction) and stop it following the feed, so that list starts at
 * its first page. Derived in render, not reset by an effect, so no read goes out with the old cursor.
 */
export function pageCursors(paging: Paging, filters: string): (string | null)[] {
  return paging.filters === filters ? paging.cursors : [null];
}

export function OpsOrders({ token, tick, changed }: { token: string; tick: number; changed: Set<string> }) {
  const [filters, setFilters] = useFilters();
  const filtersKey = JSON.stringify(filters);
  const [paging, setPaging] = useState<Paging>({ filters: filtersKey, cursors: [null] });
  const cursors = pageCursors(paging, filtersKey);
  const cursor = cursors.at(-1) ?? null;
  const vendors = useApi((signal) => api.vendors(token, signal), [token]);
  const warehouses = useApi(filters.vendorId ? (signal) => api.warehouses(token, filters.vendorId!, signal) : null, [
    token,
    filters.vendorId,
  ]);
  const from = toIso(filters.from);
  const to = toIso(filters.to);
  // Only the first page follows the feed: a later page stays put while you read it.
  const live = cursors.length === 1 ? tick : 0;
  const page = useApi(
    (signal) =>
      api.orders(
        token,
        {
          status: (filters.status ?? "") as OrderStatus | "",
          limit: 50,
          cursor,
          ...(filters.vendorId ? { vendorId: filters.vendorId } : {}),
          ...(filters.warehouseId ? { warehouseId: filters.warehouseId } : {}),
          ...(from ? { from } : {}),
          ...(to ? { to } : {}),
          ...(filters.held === "true" ? { held: "true" as const } : {}),
          ...(filters.sort ? { sort: filters.sort } : {}),
        },
        signal,
      ),
    [token, filtersKey, cursor],
    live,
  );
  const scope = {
    ...(filters.vendorId ? { vendorId: filters.vendorId } : {}),
    ...(filters.warehouseId ? { warehouseId: filters.warehouseId } : {}),
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
    ...(filters.held === "true" ? { held: "true" as const } : {}),
  };
  const counts = useApi((signal) => api.orderCounts(token, scope, signal), [token, JSON.stringify(scope)], tick);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [note, setNote] = useState("");
  const [cancelReason, setCancelReason] = useState<CancelReason | "">("");
  const [results, setResults] = useState<BulkResults | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [unfinished, setUnfinished] = useState(0);

  // Rows read for another filter or page (its own read on its way or failed) are not shown: selected
  // all and acted on, they would be orders the filter on screen does not match.
  const items = useMemo(() => (page.stale ? [] : (page.data?.items ?? [])), [page.stale, page.data]);
  // Each read (a feed tick, a page turned) drops from the selection the rows it no longer shows, so
  // one coming back later is not selected unseen; until then the count and the request skip them.
  const chosen = selectionOnScreen(selected, items);
  useEffect(() => setSelected((s) => selectionOnScreen(s, items)), [items]);

  const change = (f: Filters) => {
    setFilters({ ...filters, ...f });
    setPaging({ filters: filtersKey, cursors: [null] });
    setSelected(new Set());
    setUnfinished(0);
  };
  const toggle = (id: string) =>
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const bulk = async (action: "approve" | "flag" | "unflag" | "cancel") => {
    setError(null);
    setUnfinished(0);
    setBusy(true);
    try {
      // A cancel's reason is a code the shopper and vendors see; the note stays with ops.
      const body =
        action === "flag"
          ? { note }
          : action === "cancel"
            ? { reason: cancelReason, ...(note.trim() ? { note } : {}) }
            : {};
      const outcome = await api.bulk(token, "orders", { action, ids: [...chosen], ...body });
      // The groups sent before one failed did what they did (orders cancelled and refunded): shown,
      // and the list read again. Only the ids not done stay selected, with the note and reason, to
      // send again; the first of them may have been acted on, and is then refused as done already.
      if (outcome.results.length > 0 || !outcome.stopped) setResults({ results: outcome.results });
      if (outcome.stopped) {
        setError(outcome.stopped.error);
        setUnfinished(outcome.stopped.ids.length);
        setSelected(new Set(outcome.stopped.ids));
      } else {
        setSelected(new Set());
        // Done with: a note typed for a flag must not ride along on a later cancel.
        setNote("");
        setCancelReason("");
      }
      page.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card stack">
      <div className="row between wrap">
        <h2>Orders</h2>
        <UpdatedAt at={page.stale ? null : page.loadedAt} loading={page.loading && (!page.data || page.stale)} />
      </div>
      <div className="filters">
        <label className="field">
          <span>Status</span>
          <select value={filters.status ?? ""} onChange={(e) => change({ status: e.target.value })}>
            <option value="">All</option>
            {orderStatuses.map((s) => (
              <option key={s} value={s}>
                {humanize(s)}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Vendor</span>
          <select
            value={filters.vendorId ?? ""}
            onChange={(e) => change({ vendorId: e.target.value, warehouseId: "" })}
          >
            <option value="">All</option>
            {vendors.data?.items.map((v) => (
              <option key={v.id} value={v.id}>
                {v.name}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Warehouse</span>
          <select
            value={filters.warehouseId ?? ""}
            onChange={(e) => change({ warehouseId: e.target.value })}
            disabled={!filters.vendorId}
          >
            <option value="">{filters.vendorId ? "All" : "Pick a vendor first"}</option>
            {(warehouses.stale ? [] : (warehouses.data?.items ?? [])).map((w) => (
              <option key={w.id} value={w.id}>
                {w.name}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>From</span>
          <input type="datetime-local" value={filters.from ?? ""} onChange={(e) => change({ from: e.target.value })} />
        </label>
        <label className="field">
          <span>To</span>
          <input type="datetime-local" value={filters.to ?? ""} onChange={(e) => change({ to: e.target.value })} />
        </label>
        <label className="field">
          <span>Review</span>
          {/* Nothing else brings a held order to ops: no deadline runs out on it while it waits. */}
          <select value={filters.held ?? ""} onChange={(e) => change({ held: e.target.value })}>
            <option value="">All</option>
            <option value="true">Held for review</option>
          </select>
        </label>
        <label className="field">
          <span>Sort</span>
          <select value={filters.sort ?? "-createdAt"} onChange={(e) => change({ sort: e.target.value })}>
            <option value="-createdAt">Newest first</option>
            <option value="createdAt">Oldest first</option>
          </select>
        </label>
      </div>
      {counts.data && !counts.stale && (
        <section className="row wrap counts" aria-label="Orders by status">
          <span className="small">
            <strong>{counts.data.total}</strong> orders
          </span>
          {orderStatuses
            .filter((s) => counts.data!.counts[s] > 0)
            .map((s) => (
              <button
                key={s}
                type="button"
                className={filters.status === s ? "tab active" : "tab"}
                onClick={() => change({ status: filters.status === s ? "" : s })}
              >
                {humanize(s)} {counts.data!.counts[s]}
              </button>
            ))}
          <span className="muted small">counted {formatTime(counts.data.countedAt)}</span>
        </section>
      )}
      <ExportButtons
        token={token}
        path="/v1/orders/export"
        query={{ ...scope, status: filters.status, sort: filters.sort }}
      />
      <ProblemBanner error={page.error ?? error} />
      {unfinished > 0 && (
        <p className="problem">
          {unfinished} of the selection not done: the request for them failed. They stay selected.
        </p>
      )}
      {items.length === 0 && page.data && !page.stale && <p className="muted">No orders match.</p>}
      {items.length > 0 && (
        <table className="orders">
          <thead>
            <tr>
              <th>
                <input
                  type="checkbox"
                  className="check"
                  aria-label="Select all on this page"
                  checked={chosen.size === items.length}
                  onChange={(e) => setSelected(e.target.checked ? new Set(items.map((o) => o.id)) : new Set())}
                />
              </th>
              <th>Order</th>
              <th>Placed</th>
              <th>Status</th>
              <th>Payment</th>
              <th>Vendors</th>
              <th className="num">Total</th>
            </tr>
          </thead>
          <tbody>
            {items.map((o) => {
              const href = `/ops/orders/${encodeURIComponent(o.id)}`;
              return (
                <tr key={o.id} className={changed.has(o.id) ? "changed" : undefined}>
                  <td>
                    <input
                      type="checkbox"
                      className="check"
                      aria-label={`Select order ${o.id}`}
                      checked={selected.has(o.id)}
                      onChange={() => toggle(o.id)}
                    />
                  </td>
                  <td data-label="Order">
                    <Link to={href} title={o.id}>
                      <code>{shortId(o.id)}</code>
                    </Link>
                  </td>
                  <td data-label="Placed">{formatTime(o.createdAt)}</td>
                  <td data-label="Status">
                    <Status value={o.status} />
                    {o.held && <Status value="held_for_review" />}
                  </td>
                  <td data-label="Payment">
                    <Status value={o.paymentStatus} />
                  </td>
                  <td data-label="Vendors">
                    {o.subOrders.map((s) => s.vendorName ?? shortId(s.vendorId)).join(", ") || "—"}
                  </td>
                  <td data-label="Total" className="num">
                    {o.total ? formatMoney(o.total) : "—"}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <div className="row between wrap">
        <button
          type="button"
          className="button"
          disabled={cursors.length === 1}
          onClick={() => setPaging((p) => ({ filters: filtersKey, cursors: pageCursors(p, filtersKey).slice(0, -1) }))}
        >
          Previous
        </button>
        <button
          type="button"
          className="button"
          disabled={page.stale || !page.data?.nextCursor}
          onClick={() =>
            setPaging((p) => ({ filters: filtersKey, cursors: [...pageCursors(p, filtersKey), page.data!.nextCursor] }))
          }
        >
          Next
        </button>
      </div>
      {chosen.size > 0 && (
        <div className="bulk-bar row wrap">
          <strong>{chosen.size} selected</strong>
          <button type="button" className="button" disabled={busy} onClick={() => bulk("approve")}>
            Approve
          </button>
          <label className="field inline grow">
            <span>Note or reason</span>
            <input value={note} onChange={(e) => setNote(e.target.value)} />
          </label>
          <button type="button" className="button" disabled={busy || !note.trim()} onClick={() => bulk("flag")}>
            Flag for review
          </button>
          <button type="button" className="button" disabled={busy} onClick={() => bulk("unflag")}>
            Unflag
          </button>
          <label className="field inline">
            <span>Cancel reason</span>
            <select value={cancelReason} onChange={(e) => setCancelReason(e.target.value as CancelReason | "")}>
              <option value="">Choose…</option>
              {cancelReasons.map((r) => (
                <option key={r} value={r}>
                  {humanize(r)}
                </option>
              ))}
            </select>
          </label>
          <button
            type="button"
            className="button danger"
            disabled={busy || !cancelReason}
            onClick={() => bulk("cancel")}
          >
            Cancel orders
          </button>
        </div>
      )}
      {results && <BulkResultList results={results} onClose={() => setResults(null)} />}
    </section>
  );
}
