import { ApiProblem } from "../api";
import type { ProblemBody } from "../types";

type Shortage = NonNullable<ProblemBody["shortages"]>[number];

/**
 * What a shortage is short of, for the shopper: its cart line (`lineIndex` counts from 0) and what
 * the line named. A line by product names the product and, once routing gave it one, the offer;
 * a line by SKU names the SKU.
 */
export function shortageSubject(s: Shortage): string {
  const line = `Line ${s.lineIndex + 1}`;
  if (s.productId !== undefined) {
    return `${line} (product ${s.productId}${s.skuId !== undefined ? `, offer ${s.skuId}` : ""})`;
  }
  return s.skuId !== undefined ? `${line} (${s.skuId})` : line;
}

/** Shows an API problem as the API stated it: its code, detail, field errors and shortages. */
export function ProblemBanner({ error, onDismiss }: { error: unknown; onDismiss?: () => void }) {
  if (!error) return null;
  const p = error instanceof ApiProblem ? error.problem : null;
  const message = p ? p.detail || p.title : error instanceof Error ? error.message : String(error);
  return (
    <div className="problem" role="alert">
      <div className="problem-head">
        <strong>{p ? p.title : "Something went wrong"}</strong>
        {p && <code className="problem-code">{p.code}</code>}
        {onDismiss && (
          <button type="button" className="link-button problem-close" onClick={onDismiss} aria-label="Dismiss">
            ×
          </button>
        )}
      </div>
      {message && message !== p?.title && <p>{message}</p>}
      {p?.errors && p.errors.length > 0 && (
        <ul>
          {p.errors.map((e) => (
            <li key={`${e.path}:${e.message}`}>
              <code>{e.path}</code>: {e.message}
            </li>
          ))}
        </ul>
      )}
      {p?.shortages && p.shortages.length > 0 && (
        <ul>
          {p.shortages.map((s) => (
            <li key={`${s.lineIndex}:${s.skuId ?? ""}`}>
              {shortageSubject(s)}: asked for {s.requested}, {s.available} available
            </li>
          ))}
        </ul>
      )}
      {p?.allowed && p.allowed.length > 0 && <p>Allowed next: {p.allowed.join(", ")}</p>}
      {p?.requestId && <p className="muted small">Request id: {p.requestId}</p>}
    </div>
  );
}
