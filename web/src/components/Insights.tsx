import type { Latency } from "@contracts/analytics";
import { formatMoney, formatTime } from "../format";

/** Shared by the ops and vendor insights pages: the range picker, figures, and how figures read. */

export const RANGES = [7, 30, 90] as const;
export type RangeDays = (typeof RANGES)[number];

const DAY = 86_400_000;

/**
 * The `days`-long range ending today: its first day, counted back from today in the marketplace's
 * time zone (`timeZone`, as the API reports it) at `now`; the API ends it on its own today, so a
 * page left open past midnight still takes in the new day. 30 days is the API's default range.
 */
export function rangeEnding(timeZone: string | undefined, days: RangeDays, now: Date): { from?: string } {
  if (!timeZone || days === 30) return {};
  const today = new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).format(now);
  return { from: new Date(Date.parse(`${today}T00:00:00Z`) - (days - 1) * DAY).toISOString().slice(0, 10) };
}

export function RangePicker({ value, onChange }: { value: RangeDays; onChange: (d: RangeDays) => void }) {
  return (
    <div className="tabs row wrap" role="tablist" aria-label="Range">
      {RANGES.map((d) => (
        <button
          key={d}
          type="button"
          role="tab"
          aria-selected={value === d}
          className={value === d ? "tab active" : "tab"}
          onClick={() => onChange(d)}
        >
          {d} days
        </button>
      ))}
    </div>
  );
}

export function Figures({ items }: { items: { label: string; value: string }[] }) {
  return (
    <dl className="figures">
      {items.map((f) => (
        <div key={f.label} className="figure">
          <dt className="muted small">{f.label}</dt>
          <dd className="value">{f.value}</dd>
        </div>
      ))}
    </dl>
  );
}

export function AsOf({
  asOf,
  from,
  to,
  timeZone,
}: {
  asOf: string | null;
  from: string;
  to: string;
  timeZone: string;
}) {
  return (
    <p className="muted small">
      {from} to {to} ({timeZone}) · {asOf ? `as of ${formatTime(asOf)}` : "roll-ups not run yet"}
    </p>
  );
}

const compact = new Map<string, Intl.NumberFormat>();

/** Axis labels: ₹2.5K rather than ₹2,500.00, so a 390 px axis still has room. */
export function compactMoney(minor: number, currency: string): string {
  let f = compact.get(currency);
  if (!f) {
    f = new Intl.NumberFormat("en-IN", { style: "currency", currency, notation: "compact", maximumFractionDigits: 1 });
    compact.set(currency, f);
  }
  const digits =
    new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
  return f.format(minor / 10 ** digits);
}

export const money = (minor: number, currency: string) => formatMoney({ amountMinor: minor, currency });
export const percent = (bps: number) => `${(bps / 100).toFixed(2)}%`;
export const whole = (v: number) => (Number.isInteger(v) ? String(v) : "");

const minutes = (m: number | null) => (m === null ? "—" : m < 120 ? `${m} min` : `${(m / 60).toFixed(1)} h`);
export const p50p90 = (l: Latency) => `${minutes(l.p50Minutes)} / ${minutes(l.p90Minutes)}`;
