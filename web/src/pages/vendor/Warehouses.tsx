import { useState } from "react";
import { api } from "../../api";
import { Invalid } from "../../components/Invalid";
import { ProblemBanner } from "../../components/ProblemBanner";
import { Status } from "../../components/Status";
import { useAddWarehouse, WarehouseFields } from "../../components/WarehouseFields";
import type { Warehouse } from "../../types";
import { useApi } from "../../use-api";

/**
 * The vendor's warehouses after onboarding: a new one added, one closed (a holiday, a move) and
 * opened again. A closed warehouse's units are not for sale and checkout routes nothing to it.
 */
export function Warehouses({ token, vendorId }: { token: string; vendorId: string }) {
  const list = useApi((signal) => api.warehouses(token, vendorId, signal), [token, vendorId]);
  const { form, setForm, issues, error: addError, busy, add } = useAddWarehouse(token, vendorId, list.reload);
  const [error, setError] = useState<unknown>(null);
  const setStatus = async (w: Warehouse, status: "active" | "inactive") => {
    const closing =
      `Close ${w.name}? Its units stop being for sale and new orders are not sent to it. ` +
      "Orders already placed from it still need dispatching.";
    if (status === "inactive" && !window.confirm(closing)) return;
    setError(null);
    try {
      await api.updateWarehouse(token, w.id, { status });
      list.reload();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section className="stack">
      <h2>Warehouses</h2>
      <ProblemBanner error={list.error ?? error ?? addError} />
      <ul className="plain stack">
        {list.data?.items.map((w) => (
          <li key={w.id} className="row between wrap">
            <span>
              <strong>{w.name}</strong> · {w.postalCode} {w.country}{" "}
              <Status value={w.status === "active" ? "open" : "closed"} />
            </span>
            {w.status === "active" ? (
              <button type="button" className="button danger" onClick={() => void setStatus(w, "inactive")}>
                Close {w.name}
              </button>
            ) : (
              <button type="button" className="button" onClick={() => void setStatus(w, "active")}>
                Reopen {w.name}
              </button>
            )}
          </li>
        ))}
      </ul>
      <form className="card stack" onSubmit={(e) => void add(e)}>
        <h3>Add a warehouse</h3>
        <p className="muted small">The postal code places it for routing.</p>
        <WarehouseFields form={form} onChange={setForm} />
        <Invalid issues={issues} />
        <button type="submit" className="button" disabled={busy}>
          Add warehouse
        </button>
      </form>
    </section>
  );
}
