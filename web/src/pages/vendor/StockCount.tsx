import type { EventFrame } from "@contracts/feeds";
import { VendorStockData } from "@contracts/feeds";
import { StaleCount } from "@contracts/stock";
import { type FormEvent, useEffect, useState } from "react";
import { ApiProblem, api, newIdempotencyKey } from "../../api";
import { ProblemBanner } from "../../components/ProblemBanner";
import { UpdatedAt } from "../../components/Status";
import { shortId } from "../../format";
import type { StockLevels } from "../../types";
import { useApi } from "../../use-api";
import { Scanner } from "./Scanner";

type Shown = { data: StockLevels; at: Date };

/**
 * The levels to show of `current` and `next`: `next` unless `current` is the same SKU's at a higher
 * version. A read answers whenever it comes back, perhaps after a newer feed event was shown, and
 * would put the older figures back; of the same version, the later-seen stamp. A count's own answer
 * carries no version: the newest when it comes, it is shown, and what comes next replaces it.
 */
export function newerLevels(current: Shown | null, next: Shown): Shown {
  if (current === null || current.data.skuId !== next.data.skuId) return next;
  const [was, is] = [current.data.version, next.data.version];
  return was === undefined || is === undefined || is >= was ? next : current;
}

/** A state update to `next`, unless what is shown is newer. */
const keepNewer = (next: Shown) => (current: Shown | null) => newerLevels(current, next);

/**
 * A stock count: find the SKU (scan its barcode or pick it), count a warehouse, send the count with
 * the level's version shown when counting began, so a delivery or shipment that lands meanwhile is
 * not overwritten: the server refuses the count (412) and the page shows the new levels to count again.
 */
export function StockCount({
  token,
  vendorId,
  events,
  resets,
}: {
  token: string;
  vendorId: string;
  /** The latest vendor-feed `stock.changed` of each SKU. */
  events: ReadonlyMap<string, EventFrame>;
  /** Bumped when the feed resets (events may have been missed): the levels are read again. */
  resets: number;
}) {
  const skus = useApi((signal) => api.skus(token, vendorId, signal), [token, vendorId]);
  const warehouses = useApi((signal) => api.warehouses(token, vendorId, signal), [token, vendorId]);
  const [skuId, setSkuId] = useState("");
  const [warehouseId, setWarehouseId] = useState("");
  const [count, setCount] = useState("");
  const [levels, setLevels] = useState<Shown | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notFound, setNotFound] = useState<string | null>(null);
  /**
   * The level's version as displayed when the count began: what the count is made against. Its key
   * is the count's: saved again unanswered, the server answers the first save, not a stale refusal.
   */
  const [basis, setBasis] = useState<{ skuId: string; warehouseId: string; version: number; key: string } | null>(null);
  const [saving, setSaving] = useState(false);
  const [stale, setStale] = useState<StaleCount | null>(null);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `resets` reads the levels again after the feed missed events.
  useEffect(() => {
    if (!skuId) return setLevels(null);
    const ctrl = new AbortController();
    api.stock(token, skuId, ctrl.signal).then(
      (data) => setLevels(keepNewer({ data, at: new Date() })),
      (err) => !ctrl.signal.aborted && setError(err),
    );
    return () => ctrl.abort();
  }, [token, skuId, resets]);

  // Counts change under our feet (orders, other counters): the feed keeps the figures true.
  const event = events.get(skuId);
  useEffect(() => {
    const parsed = VendorStockData.safeParse(event?.data);
    // Stamped when it happened: a SKU chosen again shows its last event as old as it is.
    if (parsed.success && parsed.data.skuId === skuId && event) {
      setLevels(keepNewer({ data: parsed.data, at: new Date(event.at) }));
    }
  }, [event, skuId]);

  const shown = levels?.data.skuId === skuId ? levels : null;
  const levelOf = (id: string) => shown?.data.warehouses.find((w) => w.warehouseId === id);
  const nameOf = (id: string) => warehouses.data?.items.find((x) => x.id === id)?.name ?? shortId(id);
  // A delivery, adjustment or shipment moved the level while counting; holds never do.
  const moved = basis !== null && (levelOf(basis.warehouseId)?.version ?? 0) !== basis.version;

  const startOver = () => {
    setCount("");
    setBasis(null);
  };
  const chooseSku = (id: string) => {
    setSkuId(id);
    setStale(null);
    startOver();
  };
  const chooseWarehouse = (id: string) => {
    setWarehouseId(id);
    startOver();
  };
  const changeCount = (value: string) => {
    setCount(value);
    if (value === "") setBasis(null);
    else if (basis === null) {
      setBasis({ skuId, warehouseId, version: levelOf(warehouseId)?.version ?? 0, key: newIdempotencyKey() });
    }
  };
  const scanned = (code: string) => {
    const sku = skus.data?.items.find((s) => s.barcode === code);
    setNotFound(sku ? null : code);
    if (sku) chooseSku(sku.id);
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!basis || saving) return;
    setError(null);
    setSaving(true);
    try {
      // A count changed after a failed save is another count: it goes under a key of its own.
      const key = `${basis.key}:${count}`;
      const data = await api.setStock(
        token,
        skuId,
        { warehouseId, onHand: Number(count), expectedVersion: basis.version, reason: "count" },
        key,
      );
      setLevels(keepNewer({ data, at: new Date() }));
      setStale(null);
      startOver();
    } catch (err) {
      const refused = err instanceof ApiProblem && err.status === 412 ? StaleCount.safeParse(err.problem) : null;
      if (!refused?.success) return setError(err);
      // Nothing was saved: show what the shelf holds now and ask for a fresh count against it.
      setStale(refused.data);
      setLevels(keepNewer({ data: refused.data.levels, at: new Date() }));
      startOver();
    } finally {
      setSaving(false);
    }
  };

  return (
    <section className="card stack">
      <h2>Stock count</h2>
      <Scanner onCode={scanned} />
      {notFound && <p className="notice">No SKU of yours has barcode {notFound}.</p>}
      <form className="stack" onSubmit={submit}>
        <label className="field">
          <span>SKU</span>
          <select value={skuId} onChange={(e) => chooseSku(e.target.value)} required>
            <option value="">Choose…</option>
            {skus.data?.items.map((s) => (
              <option key={s.id} value={s.id}>
                {s.title} ({s.barcode})
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Warehouse</span>
          <select value={warehouseId} onChange={(e) => chooseWarehouse(e.target.value)} required>
            <option value="">Choose…</option>
            {warehouses.data?.items.map((w) => (
              <option key={w.id} value={w.id}>
                {w.name}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Counted on hand</span>
          <input
            type="number"
            min={0}
            step={1}
            inputMode="numeric"
            value={count}
            onChange={(e) => changeCount(e.target.value)}
            disabled={!shown || !warehouseId}
            required
          />
        </label>
        {moved && (
          <p className="notice" role="status">
            The stock in this warehouse changed since you started counting (a delivery, adjustment or shipment). Count
            again before saving.
          </p>
        )}
        <button type="submit" className="button primary big" disabled={!skuId || !warehouseId || !basis || saving}>
          Save count
        </button>
      </form>
      {stale && (
        <div className="notice" role="alert">
          <strong>Stock changed since you counted: here are the new levels.</strong>
          <p>Your count was not saved. Count the shelf again and save the new figure.</p>
          <ul>
            {stale.stale.map((l) => (
              <li key={l.warehouseId}>
                {nameOf(l.warehouseId)}: on hand now{" "}
                {stale.levels.warehouses.find((w) => w.warehouseId === l.warehouseId)?.onHand ?? 0}
              </li>
            ))}
          </ul>
        </div>
      )}
      <ProblemBanner error={error ?? skus.error ?? warehouses.error} />
      {shown && (
        <div className="stack">
          <UpdatedAt at={shown.at} />
          <table className="lines">
            <thead>
              <tr>
                <th>Warehouse</th>
                <th className="num">On hand</th>
                <th className="num">Held</th>
                <th className="num">Committed</th>
                <th className="num">Available</th>
              </tr>
            </thead>
            <tbody>
              {shown.data.warehouses.map((w) => (
                <tr key={w.warehouseId}>
                  <td data-label="Warehouse">{nameOf(w.warehouseId)}</td>
                  <td data-label="On hand" className="num">
                    {w.onHand}
                  </td>
                  <td data-label="Held" className="num">
                    {w.held}
                  </td>
                  <td data-label="Committed" className="num">
                    {w.committed}
                  </td>
                  <td data-label="Available" className="num">
                    {w.available}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
