import { useCallback, useEffect, useRef, useState } from "react";
import { useToken } from "../../auth";
import { SignedInAs, SignIn } from "../../components/SignIn";
import { ConnectionIndicator } from "../../live/ConnectionIndicator";
import { useThrottledTick } from "../../live/throttle";
import { useFeed } from "../../live/use-feed";
import { Link } from "../../router";
import { NotFound } from "../NotFound";
import { OpsAlerts } from "./OpsAlerts";
import { OpsEarnings } from "./OpsEarnings";
import { OpsInsights } from "./OpsInsights";
import { OpsOrder } from "./OpsOrder";
import { OpsOrders } from "./OpsOrders";
import { OpsVendors } from "./OpsVendors";
import { PayoutBanner, PayoutRuns } from "./PayoutRuns";

/** How long an order the feed just changed stays highlighted in the list. */
const CHANGED_FOR_MS = 10_000;

type Timers = {
  setTimeout: (run: () => void, ms: number) => unknown;
  clearTimeout: (handle: unknown) => void;
};

const realTimers: Timers = {
  setTimeout: (run, ms) => globalThis.setTimeout(run, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Ids marked in the last `forMs`: each mark lasts `forMs` from its latest, then fades. Kept
 * for ever, every order a sale touched would be marked within the hour, and the mark would say nothing.
 */
export class FadingMarks {
  private readonly timers = new Map<string, unknown>();

  constructor(
    private readonly changed: (ids: Set<string>) => void,
    private readonly forMs: number,
    private readonly clock: Timers = realTimers,
  ) {}

  mark(id: string): void {
    const running = this.timers.get(id);
    if (running !== undefined) this.clock.clearTimeout(running);
    this.timers.set(
      id,
      this.clock.setTimeout(() => {
        this.timers.delete(id);
        this.changed(new Set(this.timers.keys()));
      }, this.forMs),
    );
    if (running === undefined) this.changed(new Set(this.timers.keys()));
  }

  /** Unmarks every id at once and stops their fades. */
  clear(): void {
    if (this.timers.size === 0) return;
    for (const handle of this.timers.values()) this.clock.clearTimeout(handle);
    this.timers.clear();
    this.changed(new Set());
  }
}

/** The ids marked in the last `forMs` (see `FadingMarks`), and the mark; the fades stop on unmount. */
function useFadingMarks(forMs: number): [Set<string>, (id: string) => void] {
  const [marked, setMarked] = useState<Set<string>>(() => new Set());
  const marks = useRef<FadingMarks | null>(null);
  marks.current ??= new FadingMarks(setMarked, forMs);
  useEffect(() => () => marks.current?.clear(), []);
  const mark = useCallback((id: string) => marks.current?.mark(id), []);
  return [marked, mark];
}

/**
 * The ops dashboard: every order, live from the ops feed. Events bump a counter the pages reload
 * on, so what is on screen follows the orders without a reload of the page.
 */
export function OpsDashboard({ rest }: { rest: string }) {
  const [token] = useToken("ops");
  // At most a reload a second however fast the feed runs: every read in flight would otherwise be
  // restarted by the next event, and none would land during a sale.
  const [tick, bump] = useThrottledTick();
  const [changedOrders, markChanged] = useFadingMarks(CHANGED_FOR_MS);
  const feed = useFeed({
    feed: token ? "ops" : null,
    token,
    onEvent: (e) => {
      const orderId = typeof e.data.orderId === "string" ? e.data.orderId : null;
      if (orderId) markChanged(orderId);
      bump();
    },
    onReset: bump,
  });
  const orderId = /^\/orders\/([^/]+)\/?$/.exec(rest)?.[1];

  return (
    <div className="stack">
      <div className="row between wrap page-head">
        <h1>Ops dashboard</h1>
        {token && (
          <div className="row wrap">
            <ConnectionIndicator status={feed.status} />
            <SignedInAs slot="ops" token={token} label="Ops" />
          </div>
        )}
      </div>
      {token && (
        <nav className="tabs row wrap" aria-label="Ops sections">
          <Link to="/ops" className={rest === "" || rest === "/" ? "tab active" : "tab"}>
            Orders
          </Link>
          <Link to="/ops/money" className={rest === "/money" ? "tab active" : "tab"}>
            Money
          </Link>
          <Link to="/ops/payouts" className={rest === "/payouts" ? "tab active" : "tab"}>
            Payout runs
          </Link>
          <Link to="/ops/vendors" className={rest === "/vendors" ? "tab active" : "tab"}>
            Vendor onboarding
          </Link>
          <Link to="/ops/insights" className={rest === "/insights" ? "tab active" : "tab"}>
            Insights
          </Link>
          <Link to="/ops/alerts" className={rest === "/alerts" ? "tab active" : "tab"}>
            Alerts
          </Link>
        </nav>
      )}
      {token && <PayoutBanner token={token} tick={tick} />}
      {!token ? (
        <SignIn slot="ops" who="an ops or admin" />
      ) : rest === "/money" ? (
        <OpsEarnings token={token} tick={tick} />
      ) : rest === "/vendors" ? (
        <OpsVendors token={token} />
      ) : rest === "/insights" ? (
        <OpsInsights token={token} />
      ) : rest === "/alerts" ? (
        <OpsAlerts token={token} tick={tick} />
      ) : orderId ? (
        <OpsOrder token={token} orderId={decodeURIComponent(orderId)} tick={tick} />
      ) : rest === "/payouts" ? (
        <PayoutRuns token={token} tick={tick} />
      ) : rest === "" || rest === "/" ? (
        <OpsOrders token={token} tick={tick} changed={changedOrders} />
      ) : (
        <NotFound />
      )}
    </div>
  );
}
