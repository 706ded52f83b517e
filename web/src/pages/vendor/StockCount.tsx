import type { EventFrame } from "@contracts/feeds";
import { VendorStockData } from "@contracts/feeds";
import { type FormEvent, useEffect, useState } from "react";
import { api } from "../../api";
import { ProblemBanner } from "../../components/ProblemBanner";
import { UpdatedAt } from "../../components/Status";
import { shortId } from "../../format";
import type { StockLevels } from "../../types";
import { useApi } from "../../use-api";
import { Scanner } from "./Scanner";

/** A stock count: find the SKU (scan its barcode or pick it), count a warehouse, send the count. */
export function StockCount({ token, vendorId, event }: { token: string; vendorId: string; event: EventFrame | null }) {
  const skus = useApi((signal) => api.skus(token, vendorId, signal), [token, vendorId]);
  const warehouses = useApi((signal) => api.warehouses(token, vendorId, signal), [token, vendorId]);
  const [skuId, setSkuId] = useState("");
  const [warehouseId, setWarehouseId] = useState("");
  const [count, setCount] = useState("");
  const [levels, setLevels] = useState<{ data: StockLevels; at: Date } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notFound, setNotFound] = useState<string | null>(null);

  useEffect(() => {
    if (!skuId) return setLevels(null);
    const ctrl = new AbortController();
    api.stock(token, skuId, ctrl.signal).then(
      (data) => setLevels({ data, at: new Date() }),
      (err) => !ctrl.signal.aborted && setError(err),
    );
    return () => ctrl.abort();
  }, [token, skuId]);

  // Counts change under our feet (orders, other counters): the feed keeps the figures true.
  useEffect(() => {
    const parsed = VendorStockData.safeParse(event?.data);
    if (parsed.success && parsed.data.skuId === skuId) setLevels({ data: parsed.data as StockLevels, at: new Date() });
  }, [event, skuId]);

  const scanned = (code: string) => {
    const sku = skus.data?.items.find((s) => s.barcode === code);
    setNotFound(sku ? null : code);
    if (sku) setSkuId(sku.id);
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const data = await api.setStock(token, skuId, { warehouseId, onHand: Number(count), reason: "count" });
      setLevels({ data, at: new Date() });
      setCount("");
    } catch (err) {
      setError(err);
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
          <select value={skuId} onChange={(e) => setSkuId(e.target.value)} required>
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
          <select value={warehouseId} onChange={(e) => setWarehouseId(e.target.value)} required>
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
            onChange={(e) => setCount(e.target.value)}
            required
          />
        </label>
        <button type="submit" className="button primary big" disabled={!skuId || !warehouseId || count === ""}>
          Save count
        </button>
      </form>
      <ProblemBanner error={error ?? skus.error ?? warehouses.error} />
      {levels && (
        <div className="stack">
          <UpdatedAt at={levels.at} />
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
              {levels.data.warehouses.map((w) => (
                <tr key={w.warehouseId}>
                  <td data-label="Warehouse">
                    {warehouses.data?.items.find((x) => x.id === w.warehouseId)?.name ?? shortId(w.warehouseId)}
                  </td>
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
