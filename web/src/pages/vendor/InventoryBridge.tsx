import { useEffect, useMemo, useRef, useState } from "react";
import { api } from "../../api";
import { ProblemBanner } from "../../components/ProblemBanner";
import { formatTime } from "../../format";
import type { BridgeSecret } from "../../types";
import { useApi } from "../../use-api";

/**
 * `run`, unless a call of it is still under way: then the call is dropped (answers undefined), not
 * sent. Rotating the bridge secret replaces the previous one, so a double tap's second POST would
 * void the first's secret, and whichever answer landed last, possibly the void one, would be shown.
 */
export function singleFlight<A extends unknown[], T>(
  run: (...args: A) => Promise<T>,
): (...args: A) => Promise<T | undefined> {
  let running = false;
  return async (...args) => {
    if (running) return undefined;
    running = true;
    try {
      return await run(...args);
    } finally {
      running = false;
    }
  };
}

/**
 * The vendor's inventory bridge: its signing secret (made or rotated here, shown once) and the
 * drift report, where the sheet and the marketplace disagreed at each latest count and what was applied.
 */
export function InventoryBridge({ token, vendorId }: { token: string; vendorId: string }) {
  const [tick, setTick] = useState(0);
  const report = useApi((signal) => api.bridgeReport(token, vendorId, signal), [token, vendorId], tick);
  const [secret, setSecret] = useState<BridgeSecret | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  // An answer for another vendor or token (the page changed under it) is not this page's secret.
  const asking = useRef(`${token}/${vendorId}`);
  useEffect(() => {
    asking.current = `${token}/${vendorId}`;
    setSecret(null);
  }, [token, vendorId]);
  // One rotation at a time: a tap while one is under way (the button is disabled, but a double tap
  // can land before it renders so) is dropped, not sent.
  const rotate = useMemo(
    () =>
      singleFlight(async (token: string, vendorId: string, configured: boolean) => {
        if (configured && !window.confirm("Rotate the secret? The sheet's current secret stops working at once."))
          return;
        const key = `${token}/${vendorId}`;
        setError(null);
        setBusy(true);
        try {
          const made = await api.rotateBridgeSecret(token, vendorId);
          if (asking.current !== key) return;
          setSecret(made);
          setTick((t) => t + 1);
        } catch (err) {
          if (asking.current === key) setError(err);
        } finally {
          setBusy(false);
        }
      }),
    [],
  );
  const r = report.data;
  return (
    <section className="stack">
      <h2>Inventory bridge</h2>
      <ProblemBanner error={report.error ?? error} />
      {r && (
        <p>
          {r.configured ? `Secret set ${formatTime(r.rotatedAt)}.` : "No secret yet."} {r.staged} rows waiting.{" "}
          {r.lastAppliedAt ? `Last applied ${formatTime(r.lastAppliedAt)}.` : ""}{" "}
          <button type="button" disabled={busy} onClick={() => void rotate(token, vendorId, r.configured)}>
            {busy ? "Making a secret…" : r.configured ? "Rotate secret" : "Create secret"}
          </button>{" "}
          <button type="button" className="link-button" onClick={() => setTick((t) => t + 1)}>
            Refresh
          </button>
        </p>
      )}
      {secret && (
        <div className="notice" role="status">
          <strong>Copy this secret now: it is not shown again.</strong>
          <p>
            URL: <code>{secret.url}</code>
          </p>
          <p>
            Secret: <code>{secret.secret}</code>
          </p>
          <p>
            Sign each request with <code>{secret.signature}</code> (the README has a Google Sheets script).
          </p>
        </div>
      )}
      {r && r.lines.length === 0 && <p>No counts applied yet.</p>}
      {r && r.lines.length > 0 && (
        <table className="lines">
          <thead>
            <tr>
              <th>SKU</th>
              <th>Warehouse</th>
              <th className="num">Sheet</th>
              <th className="num">Marketplace then</th>
              <th className="num">Drift</th>
              <th className="num">Applied</th>
              <th className="num">On hand</th>
              <th>Counted</th>
            </tr>
          </thead>
          <tbody>
            {r.lines.map((l) => (
              <tr key={`${l.skuId}/${l.warehouseId}`}>
                <td>{l.skuCode}</td>
                <td>{l.warehouseName}</td>
                <td className="num">{l.counted}</td>
                <td className="num">{l.marketplaceAtCount}</td>
                <td className="num">{l.drift > 0 ? `+${l.drift}` : l.drift}</td>
                <td className="num">
                  {l.applied > 0 ? `+${l.applied}` : l.applied}
                  {l.outcome === "clamped" && ` (short ${l.shortfall}: units already promised)`}
                </td>
                <td className="num">{l.onHandAfter}</td>
                <td>{formatTime(l.countedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
