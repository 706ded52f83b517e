import type { CreditNoteLink } from "@contracts/orders";
import { useState } from "react";
import { saveFile } from "../download";
import { formatMoney, formatTime, humanize, shortId } from "../format";
import { ProblemBanner } from "./ProblemBanner";

/**
 * Credit notes as their reader finds them: number, amount, why and when, and the PDF to keep. The
 * PDF is fetched with the reader's token (the route checks it), so it is a button, not a plain link.
 */
export function CreditNotes({ token, notes }: { token: string; notes: readonly CreditNoteLink[] }) {
  const [error, setError] = useState<unknown>(null);
  if (notes.length === 0) return null;
  const save = (n: CreditNoteLink) =>
    saveFile(token, n.pdfUrl, `credit-note-${(n.number ?? n.id).replaceAll("/", "-")}.pdf`).catch(setError);
  return (
    <div className="stack">
      <ul className="plain small" aria-label="Credit notes">
        {notes.map((n) => (
          <li key={n.id}>
            Credit note {n.number ?? shortId(n.id)} ·{" "}
            {formatMoney({ amountMinor: n.amountMinor, currency: n.currency })} · {humanize(n.reason)} ·{" "}
            {formatTime(n.issuedAt)}{" "}
            <button type="button" className="link-button" onClick={() => void save(n)}>
              PDF
            </button>
          </li>
        ))}
      </ul>
      <ProblemBanner error={error} />
    </div>
  );
}
