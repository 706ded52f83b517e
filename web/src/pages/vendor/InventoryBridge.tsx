import { useState } from "react";
import { api } from "../../api";
import { ProblemBanner } from "../../components/ProblemBanner";
import type { BridgeSecret } from "../../types";
import { useApi } from "../../use-api";

/**
 * The vendor's inventory bridge: its signing secret (made or rotated here, shown once) and the
 * drift report, where the sheet and the marketplace disagreed at each latest count and what was applied.
 */
export function InventoryBridge({ token, vendorId }: { token: string; vendorId: string }) {
  const [tick, setTick] = useState(0);
  const report = useApi((signal) => api.bridgeReport(token, vendorId, signal), [token, vendorId], tick);
  const [secret, setSecret] = useState<BridgeSecret | null>(null);
  const [error, setError] = useState<unknown>(null);
  const rotate = async () => {
    if (
      report.data?.configured &&
      !window.confirm("Rotate the secret? The sheet's current secret stops working at once.")
    )
      return;
    setError(null);
    try {
      setSecret(await api.rotateBridgeSecret(token, vendorId));
      setTick((t) => t + 1);
    } catch (err) {
      setError(err);
    }
  };
  const r = report.data;
  return (
    <section className="stack">
      <h2>Inventory bridge</h2>
      <ProblemBanner error={report.error ?? error} />
      {r && (
        <p>
          {r.configured ? `Secret set ${r.rotatedAt}.` : "No secret yet."} {r.staged} rows waiting.{" "}
          {r.lastAppliedAt ? `Last applied ${r.lastAppliedAt}.` : ""}{" "}
          <button type="button" onClick={() => void rotate()}>
            {r.configured ? "Rotate secret" : "Create secret"}
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
                <td>{l.countedAt}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
