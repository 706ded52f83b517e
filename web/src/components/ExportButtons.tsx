import { useRef, useState } from "react";
import { type DownloadProgress, streamDownload } from "../download";
import { ProblemBanner } from "./ProblemBanner";

type Query = Record<string, string | undefined>;

function fraction(p: DownloadProgress): number | null {
  if (p.totalOrders !== null && p.totalOrders > 0 && p.orders > 0) return Math.min(1, p.orders / p.totalOrders);
  if (p.totalBytes) return Math.min(1, p.bytes / p.totalBytes);
  return null;
}

function describe(p: DownloadProgress): string {
  const kb = `${(p.bytes / 1024).toFixed(p.bytes < 10_240 ? 1 : 0)} KB`;
  if (p.totalOrders !== null && p.orders > 0) return `${p.orders} of ${p.totalOrders} orders · ${kb}`;
  return p.totalOrders !== null ? `${p.totalOrders} orders · ${kb}` : kb;
}

/** CSV and PDF of an export route (an order list, a report), with a progress bar while the file streams in. */
export function ExportButtons({
  token,
  path,
  query,
  label = "Export",
}: {
  token: string;
  path: string;
  query: Query;
  label?: string;
}) {
  const [progress, setProgress] = useState<DownloadProgress | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const running = useRef<AbortController | null>(null);

  const start = async (format: "csv" | "pdf") => {
    running.current?.abort();
    const controller = new AbortController();
    running.current = controller;
    setError(null);
    setDone(null);
    setProgress({ bytes: 0, totalBytes: null, orders: 0, totalOrders: null });
    const qs = new URLSearchParams({ format });
    for (const [k, v] of Object.entries(query)) if (v) qs.set(k, v);
    try {
      setDone(await streamDownload(`${path}?${qs}`, token, setProgress, controller.signal));
    } catch (err) {
      if (!(err instanceof DOMException && err.name === "AbortError")) setError(err);
    } finally {
      if (running.current === controller) {
        running.current = null;
        setProgress(null);
      }
    }
  };

  const share = progress ? fraction(progress) : null;
  return (
    <div className="export stack">
      <div className="row wrap">
        <span className="small muted">{label}</span>
        <button type="button" className="button" disabled={progress !== null} onClick={() => start("csv")}>
          CSV
        </button>
        <button type="button" className="button" disabled={progress !== null} onClick={() => start("pdf")}>
          PDF
        </button>
        {done && (
          <span className="small muted" role="status">
            Downloaded {done}
          </span>
        )}
      </div>
      {progress && (
        <div className="export-progress row wrap" role="status" aria-live="polite">
          <progress aria-label="Export progress" max={1} {...(share === null ? {} : { value: share })} />
          <span className="small">{describe(progress)}</span>
          <button type="button" className="link-button" onClick={() => running.current?.abort()}>
            Stop
          </button>
        </div>
      )}
      <ProblemBanner error={error} onDismiss={() => setError(null)} />
    </div>
  );
}
