import type { EventFrame } from "@contracts/feeds";
import { useEffect, useState } from "react";
import { ApiProblem, api } from "../../api";
import { useToken } from "../../auth";
import { ExportButtons } from "../../components/ExportButtons";
import { ProblemBanner } from "../../components/ProblemBanner";
import { ShowMore } from "../../components/ShowMore";
import { SignedInAs, SignIn } from "../../components/SignIn";
import { Status, UpdatedAt } from "../../components/Status";
import { formatMoney, formatTime, shortId } from "../../format";
import { ConnectionIndicator } from "../../live/ConnectionIndicator";
import { useThrottledTick } from "../../live/throttle";
import { awaitingFeedName, useFeed } from "../../live/use-feed";
import { Link, navigate } from "../../router";
import type { SubOrderDetail } from "../../types";
import { useApi, useReadUntilLoaded } from "../../use-api";
import { announce, unlockSound } from "./beep";
import { Earnings } from "./Earnings";
import { InventoryBridge } from "./InventoryBridge";
import { OnboardingWizard } from "./Onboarding";
import { Payouts } from "./Payouts";
import { Products } from "./Products";
import { Reorder } from "./Reorder";
import { StockCount } from "./StockCount";
import { SubOrderWork } from "./SubOrderWork";
import { VendorInsights } from "./VendorInsights";
import { VendorPayouts } from "./VendorPayouts";
import { Warehouses } from "./Warehouses";
import { EmailSignIn, Welcome } from "./Welcome";

const TABS = [
  { status: "paid", label: "New" },
  { status: "confirmed", label: "To pack" },
  { status: "packed", label: "To dispatch" },
  { status: "dispatched", label: "On the way" },
] as const;

/** Sub-orders a queue tab shows at first, and each "Show more" adds. */
const QUEUE_PAGE = 50;

/** Feed events that put a sub-order in the "New" tab: lines reassigned to this vendor await its confirmation too. */
const NEW_WORK = new Set(["order.paid", "order.approved", "sub_order.reassigned_in"]);

/** The vendor app: installable, phone-first, live from the vendor's own feed. */
export function VendorApp({ rest }: { rest: string }) {
  const [token] = useToken("vendor");
  useEffect(() => {
    if ("serviceWorker" in navigator) void navigator.serviceWorker.register("/sw.js", { scope: "/vendor" });
  }, []);
  if (rest === "/welcome") return <Welcome />;
  if (!token) {
    return (
      <div className="stack">
        <h1>Vendor app</h1>
        <EmailSignIn />
        <SignIn slot="vendor" who="your vendor" />
      </div>
    );
  }
  return <SignedInVendor token={token} rest={rest} />;
}

/** How often a vendor waiting on ops' decision reads whether it came. */
const DECISION_POLL_MS = 10_000;

function SignedInVendor({ token, rest }: { token: string; rest: string }) {
  const me = useApi((signal) => api.me(token, signal), [token]);
  // The vendor's feed and every screen below need its id: an app opened with no signal (its shell
  // is cached for that) or during a server blip reads it again until it lands.
  const retryingMe = useReadUntilLoaded(me);
  const vendorId = me.data?.vendorId ?? null;
  const [tick, refresh] = useThrottledTick();
  // Ops' decision is no event of the vendor's feed: while it waits on one, the app asks now and then.
  const [asked, ask] = useState(0);
  const [approved, setApproved] = useState(false);
  // Read again until ops approve the vendor (on its feed's events, and on `asked` while it waits),
  // then no more: the wizard gives way to the orders without a reload.
  const self = useApi(
    (signal) => (vendorId ? api.vendors(token, signal) : Promise.resolve(null)),
    [token, vendorId],
    approved ? 0 : `${tick}:${asked}`,
  );
  const state = self.data?.items[0]?.onboarding;
  const isApproved = state === "approved";
  useEffect(() => setApproved(isApproved), [isApproved]);
  // Drafts too: a submit made in the wizard is not seen here until the next read.
  const waiting = state !== undefined && !isApproved;
  useEffect(() => {
    if (!waiting) return;
    const asking = setInterval(() => ask((n) => n + 1), DECISION_POLL_MS);
    return () => clearInterval(asking);
  }, [waiting]);
  // A vendor still onboarding has no orders yet: the wizard is its whole app until ops approve it.
  const onboarding = rest === "/onboarding" || (self.data?.items[0] && !isApproved);
  // The latest levels of each SKU: several arrive in one delivery, and one must not hide another's.
  const [stockEvents, setStockEvents] = useState<ReadonlyMap<string, EventFrame>>(new Map());
  // Feed resets, after which levels read before may have missed events.
  const [resets, setResets] = useState(0);
  const feed = useFeed({
    feed: vendorId ? `vendor:${vendorId}` : null,
    token,
    onEvent: (e) => {
      const skuId = e.type === "stock.changed" ? e.data.skuId : undefined;
      if (typeof skuId === "string") setStockEvents((m) => new Map(m).set(skuId, e));
      else refresh();
      if (NEW_WORK.has(e.type)) announce("New order to confirm");
    },
    onReset: () => {
      refresh();
      setResets((n) => n + 1);
    },
  });
  const subId = /^\/sub-orders\/([^/]+)\/?$/.exec(rest)?.[1];

  return (
    // Any tap unlocks the new-order chime (browsers allow sound only after a gesture).
    <div className="stack vendor-app" onPointerDown={unlockSound}>
      <div className="row between wrap page-head">
        <h1>Vendor app</h1>
        <div className="row wrap">
          <ConnectionIndicator status={retryingMe ? awaitingFeedName() : feed.status} />
          <SignedInAs slot="vendor" token={token} label={vendorId ? `Vendor ${shortId(vendorId)}` : "Vendor"} />
        </div>
      </div>
      <nav className="tabs row wrap" aria-label="Vendor sections">
        <Link to="/vendor" className={rest === "" || rest === "/" ? "tab active" : "tab"}>
          Orders
        </Link>
        <Link to="/vendor/stock" className={rest === "/stock" ? "tab active" : "tab"}>
          Stock counts
        </Link>
        <Link to="/vendor/earnings" className={rest === "/earnings" ? "tab active" : "tab"}>
          Earnings
        </Link>
        <Link to="/vendor/warehouses" className={rest === "/warehouses" ? "tab active" : "tab"}>
          Warehouses
        </Link>
        <Link to="/vendor/bridge" className={rest === "/bridge" ? "tab active" : "tab"}>
          Inventory bridge
        </Link>
        <Link to="/vendor/products" className={rest === "/products" ? "tab active" : "tab"}>
          Products
        </Link>
        <Link to="/vendor/payouts" className={rest === "/payouts" ? "tab active" : "tab"}>
          Payouts
        </Link>
        <Link to="/vendor/reorder" className={rest === "/reorder" ? "tab active" : "tab"}>
          Reorder
        </Link>
        <Link to="/vendor/insights" className={rest === "/insights" ? "tab active" : "tab"}>
          Insights
        </Link>
        {typeof Notification !== "undefined" && Notification.permission === "default" && (
          <button type="button" className="link-button" onClick={() => void Notification.requestPermission()}>
            Notify me of new orders
          </button>
        )}
      </nav>
      <ProblemBanner error={me.error} />
      {vendorId &&
        (onboarding ? (
          <OnboardingWizard token={token} vendorId={vendorId} currency={me.data?.currency ?? "INR"} asked={asked} />
        ) : subId ? (
          <SubOrderPage token={token} id={decodeURIComponent(subId)} tick={tick} />
        ) : rest === "/payouts" ? (
          <>
            <Payouts token={token} vendorId={vendorId} />
            <VendorPayouts token={token} vendorId={vendorId} />
          </>
        ) : rest === "/stock" ? (
          <StockCount token={token} vendorId={vendorId} events={stockEvents} resets={resets} />
        ) : rest === "/earnings" ? (
          <Earnings token={token} vendorId={vendorId} tick={tick} />
        ) : rest === "/warehouses" ? (
          <Warehouses token={token} vendorId={vendorId} />
        ) : rest === "/bridge" ? (
          <InventoryBridge token={token} vendorId={vendorId} />
        ) : rest === "/products" ? (
          <Products token={token} vendorId={vendorId} />
        ) : rest === "/reorder" ? (
          <Reorder token={token} vendorId={vendorId} />
        ) : rest === "/insights" ? (
          <VendorInsights token={token} vendorId={vendorId} />
        ) : (
          <Queue token={token} tick={tick} />
        ))}
    </div>
  );
}

function Queue({ token, tick }: { token: string; tick: number }) {
  const [status, setStatus] = useState<(typeof TABS)[number]["status"]>("paid");
  return (
    <section className="stack">
      <div className="tabs row wrap" role="tablist">
        {TABS.map((t) => (
          <button
            key={t.status}
            type="button"
            role="tab"
            aria-selected={status === t.status}
            className={status === t.status ? "tab active" : "tab"}
            onClick={() => setStatus(t.status)}
          >
            {t.label}
          </button>
        ))}
      </div>
      {/* One list per tab: another tab's rows, and their buttons, never show under this one while it loads. */}
      <QueueTab key={status} token={token} tick={tick} status={status} />
      <OrderExport token={token} />
    </section>
  );
}

function QueueTab({ token, tick, status }: { token: string; tick: number; status: (typeof TABS)[number]["status"] }) {
  // Earliest dispatch deadline first, so the sub-orders nearest their SLA breach are never below
  // the fold. Rows shown grow by a page per "Show more"; each reload (a feed event, a confirm) reads
  // them all again (see api.ts), so none is skipped or shown twice as the queue moves.
  const [shown, setShown] = useState(QUEUE_PAGE);
  const list = useApi((signal) => api.subOrders(token, { status }, shown, signal), [token, status, shown], tick);
  const [error, setError] = useState<unknown>(null);
  const confirm = async (id: string) => {
    setError(null);
    try {
      await api.subOrderStep(token, id, "confirm");
      list.reload();
    } catch (err) {
      setError(err);
      // Refused: the row is out of date (confirmed elsewhere, or its order held for review, which
      // leaves the queue without a feed event), so the queue is read again.
      if (err instanceof ApiProblem) list.reload();
    }
  };
  return (
    <>
      <UpdatedAt at={list.loadedAt} loading={list.loading && !list.data} />
      <p className="muted small">Earliest dispatch deadline first.</p>
      <ProblemBanner error={list.error ?? error} />
      {list.data?.items.length === 0 && <p className="muted">Nothing here.</p>}
      <ul className="cards">
        {list.data?.items.map((s) => (
          <li key={s.id} className="card sub-card">
            <div className="row between wrap">
              <Link to={`/vendor/sub-orders/${encodeURIComponent(s.id)}`}>
                <code>{shortId(s.id)}</code>
              </Link>
              <Status value={s.status} />
            </div>
            <p className="small">
              {formatMoney(s.total)} · placed {formatTime(s.createdAt)}
              {s.slaDispatchBy && <> · dispatch by {formatTime(s.slaDispatchBy)}</>}
            </p>
            <div className="row wrap">
              {s.status === "paid" && (
                <button type="button" className="button primary big" onClick={() => confirm(s.id)}>
                  Confirm
                </button>
              )}
              <button
                type="button"
                className="button"
                onClick={() => navigate(`/vendor/sub-orders/${encodeURIComponent(s.id)}`)}
              >
                {s.status === "confirmed" ? "Pack" : s.status === "packed" ? "Dispatch" : "Open"}
              </button>
            </div>
          </li>
        ))}
      </ul>
      <ShowMore list={list} step={QUEUE_PAGE} show={setShown} />
    </>
  );
}

/**
 * The export's time filter, from the page's local date-time inputs (blank: unbounded), as the
 * whole-second UTC instants the API takes; an entry the browser cannot read is left out.
 */
export function exportRange(from: string, to: string): { from?: string; to?: string } {
  const iso = (local: string) => {
    const t = local ? new Date(local) : null;
    return t && !Number.isNaN(t.getTime()) ? t.toISOString().replace(/\.\d{3}Z$/, "Z") : undefined;
  };
  const f = iso(from);
  const t = iso(to);
  return { ...(f ? { from: f } : {}), ...(t ? { to: t } : {}) };
}

/**
 * The vendor's own orders as CSV or PDF, narrowed by dates: a PDF holds at most 1,000 orders, and a
 * wider one is refused ("narrow the dates"). Not by the queue's tab: the export's `status` is the
 * order's, which a sub-order's step (To pack, To dispatch) is not.
 */
function OrderExport({ token }: { token: string }) {
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  return (
    <section className="card stack" aria-label="Export my orders">
      <div className="filters">
        <label className="field">
          <span>From</span>
          <input type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} />
        </label>
        <label className="field">
          <span>To</span>
          <input type="datetime-local" value={to} onChange={(e) => setTo(e.target.value)} />
        </label>
      </div>
      <ExportButtons token={token} path="/v1/orders/export" query={exportRange(from, to)} label="Export my orders" />
    </section>
  );
}

const notFound = (error: unknown) => error instanceof ApiProblem && error.status === 404;

/**
 * What the sub-order page shows: the sub-order, or "gone" once the API no longer lets this vendor
 * reach it (404: its order was held for review). useApi keeps the last data on a failure and clears
 * the error while the next read runs (each feed tick), so `refused` (the data on screen when a read
 * answered 404) stays gone until a read answers the sub-order again (ops approved the order).
 */
export function subOrderOnScreen<T>(
  data: T | null,
  error: unknown,
  refused: { data: T | null } | null,
): T | "gone" | null {
  if (notFound(error)) return "gone";
  if (refused && refused.data === data) return "gone";
  return data;
}

function SubOrderPage({ token, id, tick }: { token: string; id: string; tick: number }) {
  const sub = useApi((signal) => api.subOrder(token, id, signal), [token, id], tick);
  const carriers = useApi((signal) => api.carriers(token, signal), [token]);
  const [refused, setRefused] = useState<{ data: SubOrderDetail | null } | null>(null);
  useEffect(() => {
    if (notFound(sub.error)) setRefused({ data: sub.data });
  }, [sub.error, sub.data]);
  const shown = subOrderOnScreen(sub.data, sub.error, refused);
  return (
    <div className="stack">
      <Link to="/vendor" className="back">
        ← Orders
      </Link>
      {shown === "gone" ? (
        <p className="notice" role="status">
          This order is no longer available to work on: it may be held for review, and comes back to your orders once it
          is released.
        </p>
      ) : (
        <>
          <UpdatedAt at={sub.loadedAt} loading={sub.loading && !sub.data} />
          <ProblemBanner error={sub.error} />
          <ProblemBanner error={carriers.error} />
          {shown && (
            <SubOrderWork token={token} sub={shown} carriers={carriers.data?.items ?? []} changed={sub.reload} />
          )}
        </>
      )}
    </div>
  );
}
