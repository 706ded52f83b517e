import { useState } from "react";
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

/**
 * The ops dashboard: every order, live from the ops feed. Events bump a counter the pages reload
 * on, so what is on screen follows the orders without a reload of the page.
 */
export function OpsDashboard({ rest }: { rest: string }) {
  const [token] = useToken("ops");
  // At most a reload a second however fast the feed runs: every read in flight would otherwise be
  // restarted by the next event, and none would land during a sale.
  const [tick, bump] = useThrottledTick();
  const [changedOrders, setChangedOrders] = useState<Set<string>>(new Set());
  const feed = useFeed({
    feed: token ? "ops" : null,
    token,
    onEvent: (e) => {
      const orderId = typeof e.data.orderId === "string" ? e.data.orderId : null;
      if (orderId) setChangedOrders((s) => new Set(s).add(orderId));
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
