import { beforeDispatchStatuses } from "@contracts/order-status";
import type { CancelReason, PaymentView } from "@contracts/orders";
import { useEffect, useRef, useState } from "react";
import { ApiProblem, api, newIdempotencyKey } from "../api";
import { useToken } from "../auth";
import { CreditNotes } from "../components/CreditNotes";
import { IdDetail } from "../components/IdDetail";
import { Timeline, vendorNames } from "../components/OrderDetail";
import { ProblemBanner } from "../components/ProblemBanner";
import { ShowMore } from "../components/ShowMore";
import { SignIn } from "../components/SignIn";
import { Status, UpdatedAt } from "../components/Status";
import { returnedFromStripe, StripePayment, useStripeReturnStripped } from "../components/StripePayment";
import { formatMoney, formatTime } from "../format";
import { holdExpired, useHoldExpired } from "../hold-expiry";
import { ConnectionIndicator } from "../live/ConnectionIndicator";
import { useThrottledTick } from "../live/throttle";
import { awaitingFeedName, useFeed } from "../live/use-feed";
import type { OrderView, Page } from "../types";
import { useApi, useReadUntilLoaded } from "../use-api";

/** Orders shown in full at first, and each "Show more" adds. */
const ORDERS_PAGE = 20;

/**
 * The shopper's `count` newest orders, each read in full; `nextCursor` is set when older ones follow.
 * The list is read afresh from the newest each time (`api.newestOrders`, as every growing list is): a
 * reload after a new order neither drops the order it pushes past the last one shown nor repeats one.
 */
export async function newestOrders(token: string, count: number, signal?: AbortSignal): Promise<Page<OrderView>> {
  const summaries = await api.newestOrders(token, count, signal);
  const items = await Promise.all(summaries.items.map((o) => api.order(token, o.id, signal)));
  return { items, nextCursor: summaries.nextCursor };
}

/** An order nothing has paid or cancelled yet: the only kind with a payment left to make. */
export const awaitsPayment = (order: OrderView) =>
  order.status === "pending_payment" && order.paymentStatus === "unpaid";

/** How My orders offers to pay an order, given its payment as `GET /v1/orders/{id}/payment` answers it. */
export type PayOffer =
  | { kind: "none" }
  | { kind: "simulated"; paymentId: string; holdExpiresAt: string }
  | { kind: "stripe"; payment: { id: string; clientSecret: string; publishableKey: string }; holdExpiresAt: string }
  | { kind: "no-publishable-key"; holdExpiresAt: string };

/**
 * Nothing to offer once the order is paid or cancelled, or once its hold has expired: the stock is
 * no longer the shopper's, and the expiry job is about to cancel the order. Else the same payment
 * the storefront offers right after checkout: the simulator in development, Stripe's panel otherwise.
 * A Stripe form already `open` stays past the hold, closed to new attempts, as the storefront's
 * does: a payment confirmed just before (3-D Secure done) is still waited on.
 */
export function payOffer(order: OrderView, payment: PaymentView | null, now: number, open = false): PayOffer {
  if (!awaitsPayment(order) || !payment || payment.status !== "requires_payment") return { kind: "none" };
  const { holdExpiresAt } = payment;
  if (holdExpired(holdExpiresAt, now) && !(open && payment.provider === "stripe")) return { kind: "none" };
  if (payment.provider === "simulated") return { kind: "simulated", paymentId: payment.id, holdExpiresAt };
  if (!payment.clientSecret || !payment.publishableKey) return { kind: "no-publishable-key", holdExpiresAt };
  const { id, clientSecret, publishableKey } = payment;
  return { kind: "stripe", payment: { id, clientSecret, publishableKey }, holdExpiresAt };
}

/**
 * The shopper's own orders (signed in or guest: the storefront's token), each parcel with its
 * seller, status, carrier, AWB and timeline, reloaded on the shopper's own feed's events.
 */
export function MyOrders() {
  // A payment method that left for the bank's page comes back here (the form's `return_url`).
  useStripeReturnStripped();
  const [token] = useToken("storefront");
  // A shopper's feed can fire several events a second (each parcel's step); one reload a second is enough.
  const [tick, bump] = useThrottledTick();
  const me = useApi(token ? (signal) => api.me(token, signal) : null, [token]);
  // It names the shopper's feed: one that failed (no signal, a server blip) is read again until it lands.
  const retryingMe = useReadUntilLoaded(me);
  const customerId = me.data?.role === "customer" ? (me.data.customerId ?? null) : null;
  const feed = useFeed({ feed: customerId ? `customer:${customerId}` : null, token, onEvent: bump, onReset: bump });
  const [shown, setShown] = useState(ORDERS_PAGE);
  const orders = useApi(token ? (signal) => newestOrders(token, shown, signal) : null, [token, shown], tick);

  // A token the API no longer takes (a guest's lapses a day after a sign-up that never ordered).
  const lapsed = me.error instanceof ApiProblem && me.error.status === 401;
  if (!token || lapsed) {
    return (
      <section className="card stack">
        <h2>My orders</h2>
        <p className="muted">
          {lapsed ? "This browser's sign-in has lapsed. " : ""}Place an order on the shop, or sign in with your customer
          token, to see your orders here.
        </p>
        <SignIn slot="storefront" who="a customer" />
      </section>
    );
  }
  return (
    <div className="stack">
      <div className="row between wrap">
        <h2>My orders</h2>
        <div className="row wrap">
          {(customerId || retryingMe) && <ConnectionIndicator status={retryingMe ? awaitingFeedName() : feed.status} />}
          <UpdatedAt at={orders.loadedAt} loading={orders.loading && !orders.data} />
        </div>
      </div>
      <ProblemBanner error={me.error ?? orders.error} />
      {orders.data?.items.length === 0 && <p className="muted">No orders yet.</p>}
      {orders.data?.items.map((o) => (
        <MyOrder key={o.id} token={token} order={o} changed={bump} />
      ))}
      <ShowMore list={orders} step={ORDERS_PAGE} show={setShown} />
    </div>
  );
}

function MyOrder({ token, order, changed }: { token: string; order: OrderView; changed: () => void }) {
  return (
    <article className="card stack my-order">
      <div className="row between wrap">
        <h3>
          Order placed {formatTime(order.createdAt)} <IdDetail id={order.id} label="order" />
        </h3>
        <div className="row wrap">
          <Status label="Order" value={order.status} />
          <Status label="Payment" value={order.paymentStatus} />
        </div>
      </div>
      {order.total && <p className="money">{formatMoney(order.total)}</p>}
      {order.review?.held && <p className="notice">Held for review: we will tell you when it is on its way.</p>}
      {awaitsPayment(order) && <PayOrder token={token} order={order} paid={changed} />}
      <CancelOrder token={token} order={order} cancelled={changed} />
      {order.subOrders.map((s) => (
        <section key={s.id} className="parcel stack">
          <div className="row between wrap">
            <strong>{s.vendorName ?? "Seller"}</strong>
            <Status value={s.status} />
          </div>
          <ul className="plain small">
            {s.lines.map((l) => (
              <li key={l.id}>
                {l.qty} × {l.skuTitle ?? l.productTitle ?? l.skuId}
              </li>
            ))}
          </ul>
          <dl className="facts">
            <div>
              <dt>Carrier</dt>
              <dd>{s.carrier ?? "—"}</dd>
            </div>
            <div>
              <dt>AWB</dt>
              <dd>{s.awb ? <code>{s.awb}</code> : "—"}</dd>
            </div>
          </dl>
          <Timeline
            events={order.timeline.filter((e) => !e.subOrderId || e.subOrderId === s.id)}
            actors={vendorNames(order)}
          />
          <CreditNotes token={token} notes={(order.creditNotes ?? []).filter((n) => n.subOrderId === s.id)} />
        </section>
      ))}
    </article>
  );
}

/**
 * An unpaid order whose hold stands is paid from here, with its payment read again: the storefront
 * keeps only the last order's, and a closed panel must not leave an order holding stock unpayable.
 */
function PayOrder({ token, order, paid }: { token: string; order: OrderView; paid: () => void }) {
  const payment = useApi((signal) => api.orderPayment(token, order.id, signal), [token, order.id]);
  const [open, setOpen] = useState(false);
  // The button goes when the hold does, without a reload.
  const expired = useHoldExpired(payment.data?.holdExpiresAt ?? null);

  // Back from the bank's page for this order's intent: its form opens, to say how the payment went.
  const returnedFor = payment.data?.provider === "stripe" ? payment.data.id : null;
  useEffect(() => {
    if (returnedFor !== null && returnedFromStripe(returnedFor) !== null) setOpen(true);
  }, [returnedFor]);

  // 409: paid or cancelled since the list was read; the list's next read shows which.
  if (payment.error instanceof ApiProblem && payment.error.status === 409) return null;
  if (payment.error) return <ProblemBanner error={payment.error} />;
  const offer = payOffer(order, payment.data, Date.now(), open);
  if (offer.kind === "none") return null;
  return (
    <div className="pay-box stack">
      <div className="row between wrap">
        <span className="muted small">
          {expired
            ? "The hold on this order's stock has expired."
            : `Stock is held for you until ${formatTime(offer.holdExpiresAt)}.`}
        </span>
        {!open && (
          <button
            type="button"
            className="button primary"
            onClick={() => setOpen(!holdExpired(offer.holdExpiresAt, Date.now()))}
          >
            Pay
          </button>
        )}
      </div>
      {open && <PayPanel token={token} orderId={order.id} offer={offer} paid={paid} closed={expired} />}
    </div>
  );
}

function PayPanel({
  token,
  orderId,
  offer,
  paid,
  closed,
}: {
  token: string;
  orderId: string;
  offer: Exclude<PayOffer, { kind: "none" }>;
  paid: () => void;
  /** The hold has expired: no new attempt may start. */
  closed: boolean;
}) {
  // The order read on its own while paying: StripePayment polls it, not the whole list.
  const live = useApi((signal) => api.order(token, orderId, signal), [token, orderId]);
  const [paying, setPaying] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const settled = live.data !== null && !awaitsPayment(live.data);
  useEffect(() => {
    if (settled) paid();
  }, [settled, paid]);

  if (offer.kind === "simulated") {
    const simulate = async () => {
      // The page's tick may not have run yet (after a sleep): a payment past the hold is refunded with no order.
      if (holdExpired(offer.holdExpiresAt, Date.now())) {
        setError(new Error("This order's hold has expired: place it again."));
        return;
      }
      setPaying(true);
      setError(null);
      try {
        await api.simulatePayment(token, offer.paymentId, "succeeded");
        paid();
      } catch (err) {
        setError(err);
      } finally {
        setPaying(false);
      }
    };
    return (
      <>
        <button type="button" className="button primary" onClick={() => void simulate()} disabled={paying}>
          {paying ? "Paying…" : "Pay now (simulated)"}
        </button>
        <ProblemBanner error={error} onDismiss={() => setError(null)} />
      </>
    );
  }
  if (offer.kind === "no-publishable-key") {
    return (
      <p className="muted small">
        Payments go through Stripe, but this server has no publishable key (STRIPE_PUBLISHABLE_KEY) for the payment
        form.
      </p>
    );
  }
  return (
    <StripePayment
      payment={offer.payment}
      order={live.data}
      reload={live.reload}
      closed={closed}
      holdExpiresAt={offer.holdExpiresAt}
    />
  );
}

/** The reasons a shopper may give; the others are for ops. */
const SHOPPER_REASONS: [CancelReason, string][] = [
  ["changed_mind", "I changed my mind"],
  ["ordered_by_mistake", "I ordered by mistake"],
  ["found_better_price", "I found a better price"],
  ["delivery_too_slow", "Delivery takes too long"],
  ["duplicate_order", "I ordered this twice"],
  ["other", "Another reason"],
];

/**
 * While nothing of the order has been dispatched, the shopper cancels it here: stock goes back and
 * a paid order is refunded in full. Once a parcel has left, only a return applies.
 */
function CancelOrder({ token, order, cancelled }: { token: string; order: OrderView; cancelled: () => void }) {
  const [reason, setReason] = useState<CancelReason>("changed_mind");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  // The key of the cancel sent and not answered: pressed again (after a lost answer), it is the
  // same cancel, answered as done rather than refused as a cancel of a cancelled order.
  const unanswered = useRef<{ reason: string; key: string } | null>(null);
  const live = order.subOrders.filter((s) => s.status !== "cancelled");
  if (live.length === 0 || !live.every((s) => beforeDispatchStatuses.includes(s.status))) return null;
  const paid = order.paymentStatus !== "unpaid";
  const cancel = async () => {
    const refund = paid ? " You are refunded in full." : "";
    if (!window.confirm(`Cancel this order?${refund}`)) return;
    setBusy(true);
    setError(null);
    try {
      const key = unanswered.current?.reason === reason ? unanswered.current.key : newIdempotencyKey();
      unanswered.current = { reason, key };
      await api.cancelOrder(token, order.id, reason, key);
      unanswered.current = null;
      cancelled();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="stack">
      <div className="row wrap">
        <label className="field">
          <span>Reason</span>
          <select value={reason} onChange={(e) => setReason(e.target.value as CancelReason)}>
            {SHOPPER_REASONS.map(([code, label]) => (
              <option key={code} value={code}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <button type="button" className="button danger" disabled={busy} onClick={() => void cancel()}>
          Cancel order
        </button>
      </div>
      <ProblemBanner error={error} />
    </div>
  );
}
