import type { BulkResults } from "../../types";

/** What a bulk action did to each id: one failure never hides the others' success. */
export function BulkResultList({ results, onClose }: { results: BulkResults; onClose: () => void }) {
  const failed = results.results.filter((r) => !r.ok);
  return (
    <section className="results stack" aria-label="Bulk action results">
      <div className="row between">
        <strong>
          {results.results.length - failed.length} done, {failed.length} refused
        </strong>
        <button type="button" className="link-button" onClick={onClose}>
          Dismiss
        </button>
      </div>
      <ul>
        {results.results.map((r) => (
          <li key={r.id} className={r.ok ? undefined : "bad"}>
            <code>{r.id}</code>: {r.ok ? "done" : `${r.problem?.code ?? "refused"} — ${r.problem?.detail ?? ""}`}
          </li>
        ))}
      </ul>
    </section>
  );
}
