import { useEffect, useMemo, useState } from "react";
import { api } from "../../api";
import { ProblemBanner } from "../../components/ProblemBanner";
import { takeFiles } from "../../file-input";
import { formatMoney } from "../../format";
import { fitPhoto } from "../../photo-fit";
import type { ProductImport, Sku } from "../../types";
import { useApi } from "../../use-api";

const POLL_MS = 1_000;
/** Product cards shown at first, and each "Show more" adds: each card reads its photos. */
const CARDS = 24;

/** The vendor's catalog: products by CSV with per-row errors and progress, and photos per product. */
export function Products({ token, vendorId }: { token: string; vendorId: string }) {
  const skus = useApi((signal) => api.skus(token, vendorId, signal), [token, vendorId]);
  const [shown, setShown] = useState(CARDS);
  const products = useMemo(() => groupByProduct(skus.data?.items ?? []), [skus.data]);
  return (
    <div className="stack">
      <CsvImport token={token} imported={skus.reload} />
      <section className="stack" aria-label="Products">
        <h2>Products</h2>
        <ProblemBanner error={skus.error} />
        {skus.data?.items.length === 0 && <p className="muted">No products yet: import a CSV above.</p>}
        <ul className="cards">
          {products.slice(0, shown).map(([productId, offers]) => (
            <ProductCard key={productId} token={token} productId={productId} offers={offers} />
          ))}
        </ul>
        {products.length > shown && (
          <button type="button" className="button" onClick={() => setShown((n) => n + CARDS)}>
            Show more ({products.length - shown} more)
          </button>
        )}
      </section>
    </div>
  );
}

/** The vendor's SKUs by product, the product with the newest SKU first: what was just imported leads. */
function groupByProduct(skus: Sku[]): [string, Sku[]][] {
  const out = new Map<string, Sku[]>();
  for (const s of skus) out.set(s.productId, [...(out.get(s.productId) ?? []), s]);
  const newest = (offers: Sku[]) =>
    offers
      .map((o) => o.createdAt)
      .sort()
      .at(-1) ?? "";
  return [...out].sort(([, a], [, b]) => newest(b).localeCompare(newest(a)));
}

/**
 * Reads an applying import every POLL_MS until it is no longer applying (or `signal` aborts). A read
 * that fails (a network blip, a 503) is reported and the next one is still made: the bar, the list's
 * refresh and the file picker all wait on the import ending.
 */
export async function pollImport(
  read: (signal: AbortSignal) => Promise<ProductImport>,
  signal: AbortSignal,
  on: { progress: (imp: ProductImport) => void; failed: (err: unknown) => void },
  wait: (signal: AbortSignal) => Promise<void> = (s) => pause(POLL_MS, s),
): Promise<void> {
  for (;;) {
    await wait(signal);
    if (signal.aborted) return;
    try {
      const next = await read(signal);
      if (signal.aborted) return;
      on.progress(next);
      if (next.status !== "applying") return;
    } catch (err) {
      if (signal.aborted) return;
      on.failed(err);
    }
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

/**
 * How long an applying import may show no progress before its file may be sent again: the server
 * then sends its next page again (RESEND_AFTER_SECONDS in src/product-import/upload.ts), which is
 * how an import whose page never reached the queue, or was dead-lettered, goes on.
 */
export const STALLED_MS = 30_000;

/** When an import's applied rows last moved, as this page saw them. */
export type Progress = { id: string; applied: number; at: number };

/** The progress after reading `imp` at `now`: kept while nothing moved, so a stall shows. */
export function progressed(before: Progress | null, imp: ProductImport, now: number): Progress {
  return before && before.id === imp.id && before.applied === imp.appliedRows
    ? before
    : { id: imp.id, applied: imp.appliedRows, at: now };
}

/** An applying import with no progress for STALLED_MS: its file may be chosen again to go on. */
export function stalled(imp: ProductImport | null, progress: Progress | null, now: number): boolean {
  return imp?.status === "applying" && progress?.id === imp.id && now - progress.at >= STALLED_MS;
}

function CsvImport({ token, imported }: { token: string; imported: () => void }) {
  const [current, setCurrent] = useState<ProductImport | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [progress, setProgress] = useState<Progress | null>(null);
  useEffect(() => {
    if (current) setProgress((p) => progressed(p, current, Date.now()));
  }, [current]);
  // Each poll renders again, so a stall shows within a second of STALLED_MS.
  const stuck = stalled(current, progress, Date.now());
  const running = current?.status === "applying" && !stuck;
  // The latest import shows on arrival, so a file still applying keeps its bar after a reload.
  const latest = useApi((signal) => api.productImports(token, signal), [token]);
  const shown = current ?? latest.data?.items[0] ?? null;
  useEffect(() => {
    if (!current && latest.data?.items[0]?.status === "applying") setCurrent(latest.data.items[0]);
  }, [current, latest.data]);

  // Keyed on the import, not on each answer: a poll that fails leaves `current` as it was, and the
  // loop must go on polling (the error shown) rather than wait for a change that never comes.
  const polling = current?.status === "applying" ? current.id : null;
  useEffect(() => {
    if (!polling) return;
    const controller = new AbortController();
    void pollImport((signal) => api.productImport(token, polling, signal), controller.signal, {
      progress: (next) => {
        setError(null);
        setCurrent(next);
        if (next.status === "done") imported();
      },
      failed: setError,
    });
    return () => controller.abort();
  }, [polling, token, imported]);

  const upload = async (file: File | undefined) => {
    if (!file) return;
    setError(null);
    setBusy(true);
    try {
      const result = await api.uploadProducts(token, file);
      // Sent again: the stall is judged afresh from now.
      setProgress({ id: result.id, applied: result.appliedRows, at: Date.now() });
      setCurrent(result);
      if (result.status === "done") imported();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card stack" aria-label="Import products">
      <h2>Import products from CSV</h2>
      <p className="small muted">
        Columns: <code>product_title, sku_code, price, gtin</code>, optionally{" "}
        <code>product_description, sku_title, low_stock_threshold</code> and one{" "}
        <code>stock:&lt;warehouse name&gt;</code> per warehouse. Stock sets only levels that do not exist yet; the same
        file again within 10 minutes changes nothing, and later applies it again.
      </p>
      <label className="button">
        {busy ? "Checking…" : "Choose a CSV file"}
        <input
          type="file"
          accept=".csv,text/csv"
          hidden
          disabled={busy || running}
          onChange={(e) => void upload(takeFiles(e.target)[0])}
        />
      </label>
      <ProblemBanner error={error} />
      {stuck && (
        <p className="notice" role="status">
          No progress for {STALLED_MS / 1000} seconds: choose the same file again to go on where it stopped.
        </p>
      )}
      {shown && <ImportProgress imp={shown} />}
    </section>
  );
}

function ImportProgress({ imp }: { imp: ProductImport }) {
  return (
    <div className="stack" data-testid="import-progress">
      <label className="stack small">
        <span>
          {imp.status === "done" ? "Imported" : "Importing"}: {imp.appliedRows} of {imp.validRows} valid rows
          {imp.invalidRows > 0 && <> · {imp.invalidRows} refused</>}
        </span>
        <progress max={Math.max(imp.validRows, 1)} value={imp.validRows === 0 ? 1 : imp.appliedRows} />
      </label>
      <p className="small">
        {imp.createdProducts} new products · {imp.createdSkus} new SKUs ({imp.offers} offers on existing products) ·{" "}
        {imp.updatedSkus} updated · {imp.stockLevels} stock levels set
      </p>
      {imp.errors.length > 0 && (
        <table className="small">
          <caption>Rows not imported</caption>
          <thead>
            <tr>
              <th>Line</th>
              <th>Column</th>
              <th>Why</th>
            </tr>
          </thead>
          <tbody>
            {imp.errors.map((e) => (
              <tr key={`${e.line}:${e.field}:${e.message}`}>
                <td>{e.line}</td>
                <td>
                  <code>{e.field}</code>
                </td>
                <td>{e.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function ProductCard({ token, productId, offers }: { token: string; productId: string; offers: Sku[] }) {
  const images = useApi((signal) => api.productImages(productId, signal), [productId]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const title = useMemo(() => offers.map((o) => o.title).join(" · "), [offers]);
  const add = async (files: File[]) => {
    setError(null);
    setBusy(true);
    try {
      for (const f of files) await api.addProductImage(token, productId, await fitPhoto(f));
      images.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <li className="card stack" data-product={productId}>
      <strong>{title}</strong>
      <p className="small muted">
        {offers.map((o) => `${o.code} ${formatMoney(o.price)}`).join(" · ")} · GTIN {offers[0]?.barcode}
      </p>
      <div className="row wrap">
        {images.data?.items.map((img) => (
          <img key={img.id} src={img.urls.thumb} alt="" width={72} height={72} className="thumb" loading="lazy" />
        ))}
      </div>
      <div className="row wrap">
        <label className="button">
          {busy ? "Uploading…" : "Take a photo"}
          <input
            type="file"
            accept="image/*"
            capture="environment"
            hidden
            disabled={busy}
            onChange={(e) => void add(takeFiles(e.target))}
          />
        </label>
        <label className="button">
          Add from files
          <input
            type="file"
            accept="image/*"
            multiple
            hidden
            disabled={busy}
            onChange={(e) => void add(takeFiles(e.target))}
          />
        </label>
      </div>
      <ProblemBanner error={error ?? images.error} />
    </li>
  );
}
