import { type FormEvent, useState } from "react";
import { ApiProblem, api } from "../../api";
import { AwbLabel } from "../../components/AwbLabel";
import { CreditNotes } from "../../components/CreditNotes";
import { IdDetail } from "../../components/IdDetail";
import { itemName, Named, Timeline } from "../../components/OrderDetail";
import { ProblemBanner } from "../../components/ProblemBanner";
import { Status } from "../../components/Status";
import { takeFiles } from "../../file-input";
import { formatMoney, formatTime } from "../../format";
import type { Carrier, SubOrderDetail } from "../../types";
import { Scanner } from "./Scanner";

/**
 * The statuses in which the API takes a proof-of-shipment photo (src/db/photos.ts PHOTO_STATUSES):
 * once the parcel is dispatched the photo of record stays, and a new one is 409.
 */
const TAKES_PHOTO: ReadonlySet<string> = new Set(["paid", "confirmed", "packed"]);

type Props = { token: string; sub: SubOrderDetail; carriers: Carrier[]; changed: () => void };

/** One sub-order on the warehouse floor: the next step is the big button. */
export function SubOrderWork({ token, sub, carriers, changed }: Props) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const act = async (run: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await run();
      changed();
    } catch (err) {
      setError(err);
      // A refusal says the screen is behind (another device took the step, or ops held the order for
      // review, which the vendor's feed does not tell): read it again rather than offer the step anew.
      if (err instanceof ApiProblem) changed();
    } finally {
      setBusy(false);
    }
  };

  return (
    <article className="card stack">
      <div className="row between wrap">
        <h2 className="mono-title">
          Parcel <IdDetail id={sub.id} label="sub-order" />
        </h2>
        <Status value={sub.status} />
      </div>
      <p className="muted small">
        Order <IdDetail id={sub.orderId} label="order" /> · {formatMoney(sub.total)}
        {sub.slaDispatchBy && <> · dispatch by {formatTime(sub.slaDispatchBy)}</>}
      </p>
      {sub.shipTo && (
        <p className="small">
          Ship to {sub.shipTo.name}, {sub.shipTo.address.line1}, {sub.shipTo.address.city}{" "}
          {sub.shipTo.address.postalCode}
        </p>
      )}
      <CreditNotes token={token} notes={sub.creditNotes} />
      <ProblemBanner error={error} />
      {sub.status === "paid" && (
        <button
          type="button"
          className="button primary big"
          disabled={busy}
          onClick={() => act(() => api.subOrderStep(token, sub.id, "confirm"))}
        >
          Confirm
        </button>
      )}
      {sub.status === "confirmed" && (
        <Pack
          sub={sub}
          busy={busy}
          pack={(scanned) => act(() => api.subOrderStep(token, sub.id, "pack", { scanned }))}
        />
      )}
      {/* Before the dispatch form: once dispatched the photo is refused. */}
      {TAKES_PHOTO.has(sub.status) && <Photo token={token} subId={sub.id} />}
      {sub.status === "packed" && (
        <AwbLabel
          title="Dispatch"
          carriers={carriers}
          busy={busy}
          submit={(carrier, awb) => act(() => api.subOrderStep(token, sub.id, "dispatch", { carrier, awb }))}
        />
      )}
      {sub.status === "dispatched" && (
        <button
          type="button"
          className="button"
          disabled={busy}
          onClick={() => act(() => api.subOrderStep(token, sub.id, "deliver"))}
        >
          Mark delivered
        </button>
      )}
      {sub.status === "dispatched" && (
        <details>
          <summary>
            Wrong AWB? {sub.carrier} {sub.awb}
          </summary>
          <AwbLabel
            title="Correct the AWB"
            carriers={carriers}
            busy={busy}
            initial={sub.carrier ?? ""}
            submit={(carrier, awb, key) => act(() => api.correctAwb(token, sub.id, { carrier, awb }, key))}
          />
        </details>
      )}
      {sub.status === "dispatched" && (
        <NotDelivered busy={busy} close={(body) => act(() => api.subOrderStep(token, sub.id, "undelivered", body))} />
      )}
      <section>
        <h3>Timeline</h3>
        <Timeline events={sub.timeline} />
      </section>
    </article>
  );
}

type Undelivered = { outcome: "returned_to_origin" | "lost_in_transit"; restock?: boolean };

/** A parcel the carrier brought back or lost: the shopper is refunded in full, so it asks first. */
function NotDelivered({ busy, close }: { busy: boolean; close: (body: Undelivered) => void }) {
  const [restock, setRestock] = useState(true);
  const confirmed = (body: Undelivered) => {
    const what = body.outcome === "lost_in_transit" ? "lost by the carrier" : "back with you";
    if (window.confirm(`Close this parcel as ${what}? The shopper is refunded the whole parcel.`)) close(body);
  };
  return (
    <details>
      <summary>Not delivered?</summary>
      <div className="stack">
        <p className="small muted">The shopper is refunded the whole parcel, shipping included.</p>
        <label className="row">
          <input type="checkbox" checked={restock} onChange={(e) => setRestock(e.target.checked)} />
          Put its units back on the shelf (untick if it came back damaged)
        </label>
        <div className="row wrap">
          <button
            type="button"
            className="button"
            disabled={busy}
            onClick={() => confirmed({ outcome: "returned_to_origin", restock })}
          >
            It came back to us
          </button>
          <button
            type="button"
            className="button danger"
            disabled={busy}
            onClick={() => confirmed({ outcome: "lost_in_transit" })}
          >
            The carrier lost it
          </button>
        </div>
      </div>
    </details>
  );
}

/** Scans (camera or typed) checked against the lines as they come; the server checks again on submit. */
function Pack({ sub, busy, pack }: { sub: SubOrderDetail; busy: boolean; pack: (scanned: string[]) => void }) {
  const [scanned, setScanned] = useState<string[]>([]);
  const [typed, setTyped] = useState("");
  const add = (code: string) => setScanned((s) => [...s, code.trim()]);
  const count = (barcode: string | null) => scanned.filter((c) => c === barcode).length;
  // Units per barcode over every line: a SKU split across two warehouses is two lines of one barcode,
  // and the server checks the scans the same way (domain/barcode-check.ts).
  const wanted = (barcode: string | null) =>
    sub.lines.filter((l) => l.barcode === barcode).reduce((n, l) => n + l.qty, 0);
  const unexpected = scanned.filter((c) => !sub.lines.some((l) => l.barcode === c));
  const complete = sub.lines.every((l) => count(l.barcode) === wanted(l.barcode)) && unexpected.length === 0;
  const submitTyped = (e: FormEvent) => {
    e.preventDefault();
    if (typed.trim()) add(typed);
    setTyped("");
  };
  return (
    <section className="stack">
      <h3>Pack</h3>
      <table className="lines">
        <thead>
          <tr>
            <th>Item</th>
            <th>Barcode</th>
            <th className="num">Scanned</th>
          </tr>
        </thead>
        <tbody>
          {sub.lines.map((l) => (
            <tr key={l.id} className={count(l.barcode) === wanted(l.barcode) ? "done" : undefined}>
              <td data-label="Item">
                <Named name={itemName(l)} id={l.skuId} label="SKU" />
                {l.warehouseName && <span className="muted small">from {l.warehouseName}</span>}
              </td>
              <td data-label="Barcode">
                <code>{l.barcode ?? "—"}</code>
              </td>
              <td data-label="Scanned" className="num">
                {count(l.barcode)} / {wanted(l.barcode)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {unexpected.length > 0 && <p className="notice">Not in this parcel: {unexpected.join(", ")}</p>}
      <Scanner onCode={add} />
      <form className="row wrap" onSubmit={submitTyped}>
        <label className="field inline grow">
          <span>Barcode</span>
          <input value={typed} onChange={(e) => setTyped(e.target.value)} inputMode="numeric" autoComplete="off" />
        </label>
        <button type="submit" className="button">
          Add
        </button>
      </form>
      <div className="row wrap">
        <button type="button" className="button" onClick={() => setScanned([])} disabled={scanned.length === 0}>
          Clear scans
        </button>
        <button type="button" className="button primary big" disabled={busy || !complete} onClick={() => pack(scanned)}>
          Pack
        </button>
      </div>
    </section>
  );
}

function Photo({ token, subId }: { token: string; subId: string }) {
  const [state, setState] = useState<"idle" | "uploading" | "done">("idle");
  const [error, setError] = useState<unknown>(null);
  const upload = async (file: File | undefined) => {
    if (!file) return;
    setState("uploading");
    setError(null);
    try {
      await api.uploadPhoto(token, subId, file);
      setState("done");
    } catch (err) {
      setError(err instanceof ApiProblem ? err : new Error(String(err)));
      setState("idle");
    }
  };
  return (
    <div className="stack">
      <label className="field">
        <span>Proof-of-shipment photo (taken before the parcel leaves)</span>
        <input
          type="file"
          accept="image/jpeg,image/png,image/webp"
          capture="environment"
          onChange={(e) => void upload(takeFiles(e.target)[0])}
        />
      </label>
      {state === "uploading" && <p className="muted small">Uploading…</p>}
      {state === "done" && <p className="small">Photo stored.</p>}
      <ProblemBanner error={error} />
    </div>
  );
}
