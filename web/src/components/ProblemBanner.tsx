import { ApiProblem } from "../api";

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
            <li key={s.lineIndex}>
              <code>{s.skuId}</code>: asked for {s.requested}, {s.available} available
            </li>
          ))}
        </ul>
      )}
      {p?.allowed && p.allowed.length > 0 && <p>Allowed next: {p.allowed.join(", ")}</p>}
      {p?.requestId && <p className="muted small">Request id: {p.requestId}</p>}
    </div>
  );
}
