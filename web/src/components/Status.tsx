import { humanize } from "../format";

const tone: Record<string, string> = {
  pending_payment: "wait",
  unpaid: "wait",
  requires_payment: "wait",
  paid: "good",
  open: "good",
  closed: "wait",
  succeeded: "good",
  confirmed: "good",
  packed: "info",
  dispatched: "info",
  partially_dispatched: "info",
  delivered: "done",
  partially_delivered: "done",
  cancelled: "bad",
  canceled: "bad",
  partially_cancelled: "bad",
  returned: "bad",
  refunded: "bad",
  partially_refunded: "bad",
  held_for_review: "wait",
};

/** A status pill; `label` names what the status is of when two sit side by side (order and payment). */
export function Status({ value, label }: { value: string; label?: string }) {
  return (
    <span className={`status status-${tone[value] ?? "info"}`}>
      {label ? `${label}: ` : ""}
      {humanize(value)}
    </span>
  );
}

export function UpdatedAt({ at, loading }: { at: Date | null; loading?: boolean }) {
  if (loading) return <span className="muted small">Loading…</span>;
  if (!at) return null;
  return (
    <span className="muted small" title={at.toISOString()}>
      Updated {at.toLocaleTimeString()}
    </span>
  );
}
