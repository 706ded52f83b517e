import { useState } from "react";
import { shortId } from "../format";

/**
 * An id as a detail beside the name a person reads: small monospace text, shortened, the whole id in
 * its title, and a button that copies it (for a support ticket or a search).
 */
export function IdDetail({ id, label = "id" }: { id: string; label?: string }) {
  const [copied, setCopied] = useState(false);
  const copy = () => {
    navigator.clipboard?.writeText(id).then(
      () => {
        setCopied(true);
        setTimeout(() => setCopied(false), 1500);
      },
      () => setCopied(false),
    );
  };
  return (
    <span className="id-detail">
      <code title={id}>{shortId(id)}</code>
      <button type="button" className="copy" onClick={copy} aria-label={`Copy ${label} ${id}`}>
        {copied ? "copied" : "copy"}
      </button>
    </span>
  );
}
