import { useRef, useState } from "react";
import { api, newIdempotencyKey } from "../../api";
import { AwbLabel } from "../../components/AwbLabel";
import { CreditNotes } from "../../components/CreditNotes";
import { IdDetail } from "../../components/IdDetail";
import { Named, OrderDetail } from "../../components/OrderDetail";
import { ProblemBanner } from "../../components/ProblemBanner";
import { UpdatedAt } from "../../components/Status";
import { humanize, shortId } from "../../format";
import { Link } from "../../router";
import type { BulkResults, OrderView } from "../../types";
import { useApi } from "../../use-api";
import { BulkResultList } from "./BulkResultList";

/** One order, reloaded on every ops-feed event, with its routing and the sub-order actions. */
export function OpsOrder({ token, orderId, tick }: { token: string; orderId: string; tick: number }) {
  const order = useApi((signal) => api.order(token, orderId, signal), [token, orderId], tick);
  return (
    <div className="stack">
      <div className="row between wrap">
        <Link to="/ops" className="back">
          ← All orders
        </Link>
        <UpdatedAt at={order.stale ? null : order.loadedAt} loading={order.loading && (!order.data || order.stale)} />
      </div>
      <ProblemBanner error={order.error} />
      {/* Another order's, while this one's is read: not this order's to show or act on. */}
      {order.data && !order.stale && (
        <>
          <SubOrderActions token={token} order={order.data} done={order.reload} />
          <UndeliveredParcels token={token} order={order.data} done={order.reload} />
          <OrderDetail order={order.data} />
          {order.data.creditNotes && order.data.creditNotes.length > 0 && (
            <section className="card stack">
              <h3>Credit notes</h3>
              <CreditNotes token={token} notes={order.data.creditNotes} />
            </section>
          )}
          <Routing order={order.data} />
        </>
      )}
    </div>
  );
}

function SubOrderActions({ token, order, done }: { token: string; order: OrderView; done: () => void }) {
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [reason, setReason] = useState("");
  const [vendorId, setVendorId] = useState("");
  const [warehouseId, setWarehouseId] = useState("");
  const [results, setResults] = useState<BulkResults | null>(null);
  const [error, setError] = useState<unknown>(null);
  const vendors = useApi((signal) => api.vendors(token, signal), [token]);
  const vendorName = (s: OrderView["subOrders"][number]) =>
    s.vendorName ?? vendors.data?.items.find((v) => v.id === s.vendorId)?.name ?? shortId(s.vendorId);
  // Only where the move can land: the API refuses a suspended or unapproved vendor.
  const vendorOptions = (vendors.data?.items ?? []).filter((v) => v.status === "active" && v.onboarding === "approved");
  const vendorIds = vendorOptions.map((v) => v.id);
  const shownVendor = assignTarget({ vendorId, warehouseId: "" }, { vendorIds, warehouseIds: [] }).vendorId ?? "";
  // Warehouses to pick from: the chosen vendor's, else those of the one vendor the selection is with.
  const selectedVendors = new Set(order.subOrders.filter((s) => selected.has(s.id)).map((s) => s.vendorId));
  const warehouseVendor = shownVendor || (selectedVendors.size === 1 ? [...selectedVendors][0]! : "");
  const warehouses = useApi(warehouseVendor ? (signal) => api.warehouses(token, warehouseVendor, signal) : null, [
    token,
    warehouseVendor,
  ]);
  // Another vendor's list while this one's is read is no list to pick from.
  const warehouseOptions = warehouses.stale ? [] : (warehouses.data?.items ?? []).filter((w) => w.status === "active");
  // What an assign sends is what the pickers show: a choice the selection or the lists no longer
  // offer (another vendor's warehouse once the ticks change) is none, never a hidden target.
  const target = assignTarget(
    { vendorId, warehouseId },
    { vendorIds, warehouseIds: warehouseOptions.map((w) => w.id) },
  );
  // The Idempotency-Key of the request last sent and not answered: pressed again unchanged (after a
  // lost answer), it is the same request, so no sub-order is moved or cancelled twice.
  const unanswered = useRef<{ signature: string; key: string } | null>(null);
  // One request at a time: confirm and cancel take no Idempotency-Key, so a second press while the
  // first is on its way acts again, and its ILLEGAL_TRANSITION answers replace the first's results.
  // The ref holds the press a re-render has not disabled yet (a double-click's second click).
  const inFlight = useRef(false);
  const [busy, setBusy] = useState(false);
  const run = async (action: "confirm" | "cancel" | "assign") => {
    if (inFlight.current) return;
    inFlight.current = true;
    setBusy(true);
    setError(null);
    try {
      const body = {
        action,
        ids: [...selected],
        ...(action === "assign" ? { target } : {}),
        ...(reason.trim() ? { reason: reason.trim() } : {}),
      };
      const signature = JSON.stringify(body);
      const key = unanswered.current?.signature === signature ? unanswered.current.key : newIdempotencyKey();
      unanswered.current = { signature, key };
      const outcome = await api.bulk(token, "sub-orders", body, key);
      // What the groups before a failed one did stands: shown, and the order read again. The rest
      // stays as it was, so pressing again resends the same request under the same key.
      if (outcome.results.length > 0 || !outcome.stopped) setResults({ results: outcome.results });
      if (outcome.stopped) {
        setError(outcome.stopped.error);
        done();
        return;
      }
      unanswered.current = null;
      // Done with: a cancel's reason must not ride along on a later confirm or assign. On failure
      // both stay, so pressing again resends the same request under the same key.
      setSelected(new Set());
      setReason("");
      // A warehouse picked among the selection's one vendor's has no vendor once the selection goes.
      if (!vendorId) setWarehouseId("");
      done();
    } catch (err) {
      setError(err);
    } finally {
      inFlight.current = false;
      setBusy(false);
    }
  };
  return (
    <section className="card stack">
      <h3>Sub-orders</h3>
      <ul className="plain">
        {order.subOrders.map((s) => (
          <li key={s.id}>
            <label className="pick-row">
              <input
                type="checkbox"
                className="check"
                checked={selected.has(s.id)}
                onChange={() =>
                  setSelected((cur) => {
                    const next = new Set(cur);
                    if (next.has(s.id)) next.delete(s.id);
                    else next.add(s.id);
                    return next;
                  })
                }
              />
              <span className="pick-text">
                <strong>{vendorName(s)}</strong>
                <span>{humanize(s.status)}</span>
                <IdDetail id={s.id} label="sub-order" />
              </span>
            </label>
          </li>
        ))}
      </ul>
      <div className="assign-panel">
        <label className="field">
          <span>Reason</span>
          <input value={reason} onChange={(e) => setReason(e.target.value)} />
        </label>
        <label className="field">
          <span>Assign to vendor</span>
          <select
            value={target.vendorId ?? ""}
            onChange={(e) => {
              setVendorId(e.target.value);
              setWarehouseId("");
            }}
          >
            <option value="">Same vendor</option>
            {vendorOptions.map((v) => (
              <option key={v.id} value={v.id}>
                {v.name}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Assign to warehouse</span>
          <select
            value={target.warehouseId ?? ""}
            onChange={(e) => setWarehouseId(e.target.value)}
            disabled={!warehouseVendor}
          >
            <option value="">{warehouseVendor ? "Best by routing" : "Pick a vendor or one vendor's sub-orders"}</option>
            {warehouseOptions.map((w) => (
              <option key={w.id} value={w.id}>
                {w.name}
              </option>
            ))}
          </select>
        </label>
      </div>
      <div className="row wrap">
        <button
          type="button"
          className="button"
          disabled={busy || selected.size === 0}
          onClick={() => void run("confirm")}
        >
          Confirm selected
        </button>
        <button
          type="button"
          className="button"
          disabled={busy || selected.size === 0 || (!target.vendorId && !target.warehouseId)}
          onClick={() => void run("assign")}
        >
          Assign selected
        </button>
        <button
          type="button"
          className="button danger"
          disabled={busy || selected.size === 0 || !reason.trim()}
          onClick={() => void run("cancel")}
        >
          Cancel selected
        </button>
      </div>
      <ProblemBanner error={error} />
      {results && <BulkResultList results={results} onClose={() => setResults(null)} />}
    </section>
  );
}

/**
 * The target of an assign: the vendor and warehouse chosen, each only while its picker still offers
 * it. A select whose value matches none of its options shows its first one, so a choice kept past
 * its options would be sent unseen.
 */
export function assignTarget(
  chosen: { vendorId: string; warehouseId: string },
  offered: { vendorIds: readonly string[]; warehouseIds: readonly string[] },
): { vendorId?: string; warehouseId?: string } {
  const vendorId = offered.vendorIds.includes(chosen.vendorId) ? chosen.vendorId : "";
  const warehouseId = offered.warehouseIds.includes(chosen.warehouseId) ? chosen.warehouseId : "";
  return { ...(vendorId ? { vendorId } : {}), ...(warehouseId ? { warehouseId } : {}) };
}

/**
 * Dispatched parcels the carrier brought back or lost: closing one refunds the shopper the whole
 * parcel, shipping included (a parcel back at its seller goes back on the shelf), so each asks first.
 */
function UndeliveredParcels({ token, order, done }: { token: string; order: OrderView; done: () => void }) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const carriers = useApi((signal) => api.carriers(token, signal), [token]);
  const dispatched = order.subOrders.filter((s) => s.status === "dispatched");
  if (dispatched.length === 0) return null;
  const act = async (run: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await run();
      done();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const close = (id: string, outcome: "returned_to_origin" | "lost_in_transit") => {
    const what = outcome === "lost_in_transit" ? "lost by the carrier" : "back with its seller";
    if (!window.confirm(`Close this parcel as ${what}? The shopper is refunded the whole parcel.`)) return;
    void act(() => api.subOrderStep(token, id, "undelivered", { outcome }));
  };
  return (
    <section className="card stack">
      <h3>Parcels on their way</h3>
      <ul className="plain stack">
        {dispatched.map((s) => (
          <li key={s.id} className="stack">
            <span>
              {s.vendorName ?? shortId(s.vendorId)} · {s.carrier} {s.awb} <IdDetail id={s.id} label="sub-order" />
            </span>
            <span className="row wrap">
              <button
                type="button"
                className="button"
                disabled={busy}
                onClick={() => close(s.id, "returned_to_origin")}
              >
                Back with the seller
              </button>
              <button
                type="button"
                className="button danger"
                disabled={busy}
                onClick={() => close(s.id, "lost_in_transit")}
              >
                Lost by the carrier
              </button>
            </span>
            {/* A label typed wrong at dispatch, fixed for the vendor (see the vendor app's "Wrong AWB?"). */}
            <details>
              <summary>Wrong AWB?</summary>
              <AwbLabel
                title="Correct the AWB"
                carriers={carriers.data?.items ?? []}
                busy={busy}
                initial={s.carrier ?? ""}
                submit={(carrier, awb, key) => void act(() => api.correctAwb(token, s.id, { carrier, awb }, key))}
              />
            </details>
          </li>
        ))}
      </ul>
      <ProblemBanner error={error} />
    </section>
  );
}

/** Why each line went where it went, as routing decided at checkout (ops and admins see it). */
function Routing({ order }: { order: OrderView }) {
  const routing = order.routing;
  if (!routing) return null;
  return (
    <section className="card stack">
      <h3>Routing</h3>
      <p className="muted small">
        Weights version {routing.weightsVersion} · promise window {routing.windowHours} h
      </p>
      {routing.lines.map((l) => (
        <div key={l.lineIndex} className="stack">
          <p>
            <strong>Line {l.lineIndex + 1}</strong> ({l.qty} × {l.productTitle ?? "item"}{" "}
            <IdDetail id={l.skuId ?? l.productId ?? ""} label={l.skuId ? "SKU" : "product"} />
            ): {l.reasonNamed ?? l.reason}
          </p>
          <table className="lines">
            <thead>
              <tr>
                <th>Vendor</th>
                <th>Warehouse</th>
                <th className="num">Score</th>
                <th className="num">km</th>
                <th className="num">Window h</th>
                <th>Note</th>
              </tr>
            </thead>
            <tbody>
              {l.candidates.map((c) => {
                const chosen = l.chosen.some((p) => p.warehouseId === c.warehouseId && p.skuId === c.skuId);
                return (
                  <tr key={`${c.warehouseId}:${c.skuId}`} className={chosen ? "done" : undefined}>
                    <td data-label="Vendor">
                      <Named name={c.vendorName} id={c.vendorId} label="vendor" />
                    </td>
                    <td data-label="Warehouse">
                      <Named name={c.warehouseName} id={c.warehouseId} label="warehouse" />
                    </td>
                    <td data-label="Score" className="num">
                      {c.total.toFixed(3)}
                    </td>
                    <td data-label="km" className="num">
                      {c.distanceKm.toFixed(0)}
                    </td>
                    <td data-label="Window h" className="num">
                      {c.windowHours}
                    </td>
                    <td data-label="Note">{chosen ? "chosen" : (c.excluded ?? "")}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {l.omitted > 0 && <p className="muted small">{l.omitted} weaker candidates not shown.</p>}
        </div>
      ))}
    </section>
  );
}
