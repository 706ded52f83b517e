import type { Stripe, StripeElements } from "@stripe/stripe-js";
// The /pure entry injects Stripe.js only when loadStripe is called; the default entry would load it
// from js.stripe.com on import, on every page, with or without Stripe configured.
import { loadStripe } from "@stripe/stripe-js/pure";
import { type FormEvent, useEffect, useRef, useState } from "react";
import { navigate } from "../router";
import type { OrderView } from "../types";
import { ProblemBanner } from "./ProblemBanner";

const POLL_MS = 2000;
/** Confirmed by the shopper (or their bank): the webhook will mark the order paid, or report a failure. */
const CONFIRMED = new Set(["succeeded", "processing", "requires_capture"]);

/** One Stripe.js per publishable key for the page's life: a new order reuses the loaded script. */
const loaded = new Map<string, Promise<Stripe | null>>();
function stripeFor(publishableKey: string): Promise<Stripe | null> {
  let stripe = loaded.get(publishableKey);
  if (!stripe) {
    stripe = loadStripe(publishableKey);
    // A failed load may be retried by the next mount (the shopper back online).
    stripe.catch(() => loaded.delete(publishableKey));
    loaded.set(publishableKey, stripe);
  }
  return stripe;
}

/**
 * Stripe's redirect back to `return_url` after a payment method that leaves the page (3-D Secure,
 * a bank's page): its query names the intent and how it ended. Read without side effects, since
 * React may call a state initializer twice; StripePayment strips the query once mounted.
 */
function returnedFromStripe(paymentId: string): string | null {
  const q = new URLSearchParams(window.location.search);
  return q.get("payment_intent") === paymentId ? q.get("redirect_status") : null;
}

/** An attempt being waited on: the intent's status once confirmed, and when the shopper started it (ms). */
export type Attempt = { status: string; startedAt: number };

/**
 * Whether the order's timeline says this attempt failed. A `payment.failed` there may be an earlier
 * attempt's (a declined card, then another card), its webhook landing at any time, even after this
 * attempt was confirmed or the page reloaded, so counting failures against a baseline misreads it.
 * An intent confirmed `succeeded` or `requires_capture` has the bank's yes: this attempt cannot fail,
 * so no failure is its own and the page waits for the webhook that marks the order paid. Only a
 * `processing` one fails later, and Stripe creates that event (its time is the event's `at`, to the
 * second) after the attempt started, while an earlier attempt's was created before the shopper
 * pressed Pay again; this assumes the browser's clock is closer to Stripe's than the seconds a
 * shopper takes to try again.
 */
export function attemptFailed(attempt: Attempt, order: OrderView): boolean {
  if (attempt.status !== "processing") return false;
  const since = Math.floor(attempt.startedAt / 1000) * 1000;
  return order.timeline.some((e) => e.type === "payment.failed" && Date.parse(e.at) >= since);
}

/**
 * Pays an order's PaymentIntent with Stripe's Payment Element. Once confirmed, the order is polled
 * until the webhook marks it paid (the caller then unmounts this) or records a failed attempt,
 * which brings the form back: the holds stay, so the shopper may try again.
 */
export function StripePayment({
  payment,
  order,
  reload,
  closed = false,
}: {
  payment: { id: string; clientSecret: string; publishableKey: string };
  order: OrderView | null;
  reload: () => void;
  /** The order's hold has expired: no new attempt may start (one already confirmed is still waited on). */
  closed?: boolean;
}) {
  const [returned] = useState(() => returnedFromStripe(payment.id));
  // Back from the bank's page, the attempt is the one Stripe just finished: it started before this
  // mount, but any failure of a processing one comes after.
  const [waiting, setWaiting] = useState<Attempt | null>(() =>
    returned && CONFIRMED.has(returned) ? { status: returned, startedAt: Date.now() } : null,
  );
  const [error, setError] = useState<string | null>(() =>
    returned === "failed" ? "The payment was not completed. Try again, or with another method." : null,
  );

  useEffect(() => {
    // The client secret must not stay in the address bar or the history.
    if (returned !== null) navigate(window.location.pathname, { replace: true });
  }, [returned]);

  useEffect(() => {
    if (waiting && order && attemptFailed(waiting, order)) {
      setWaiting(null);
      setError("Your bank declined the payment. Try again, or with another method.");
    }
  }, [waiting, order]);

  useEffect(() => {
    if (!waiting) return;
    const timer = setInterval(reload, POLL_MS);
    return () => clearInterval(timer);
  }, [waiting, reload]);

  if (waiting) {
    return (
      <p role="status" className="muted">
        Payment processing… this page updates once Stripe confirms it.
      </p>
    );
  }
  return <PaymentForm payment={payment} error={error} setError={setError} closed={closed} onConfirmed={setWaiting} />;
}

function PaymentForm({
  payment,
  error,
  setError,
  closed,
  onConfirmed,
}: {
  payment: { clientSecret: string; publishableKey: string };
  error: string | null;
  setError: (e: string | null) => void;
  closed: boolean;
  onConfirmed: (attempt: Attempt) => void;
}) {
  const mountOn = useRef<HTMLDivElement>(null);
  const [ready, setReady] = useState<{ stripe: Stripe; elements: StripeElements } | null>(null);
  const [paying, setPaying] = useState(false);

  useEffect(() => {
    let live = true;
    let unmount = () => {};
    stripeFor(payment.publishableKey).then(
      (stripe) => {
        if (!live || !stripe || !mountOn.current) return;
        const elements = stripe.elements({ clientSecret: payment.clientSecret });
        const element = elements.create("payment");
        element.mount(mountOn.current);
        unmount = () => element.destroy();
        setReady({ stripe, elements });
      },
      () => live && setError("Stripe could not be loaded. Check the connection and reload the page."),
    );
    return () => {
      live = false;
      unmount();
      setReady(null);
    };
  }, [payment.publishableKey, payment.clientSecret, setError]);

  const pay = async (e: FormEvent) => {
    e.preventDefault();
    if (!ready || paying || closed) return;
    setPaying(true);
    setError(null);
    const startedAt = Date.now();
    try {
      // Card payments confirm in place; a method that needs the bank's page comes back to the shop.
      const result = await ready.stripe.confirmPayment({
        elements: ready.elements,
        confirmParams: { return_url: new URL("/", window.location.origin).href },
        redirect: "if_required",
      });
      if (result.error) setError(result.error.message ?? "The payment did not go through.");
      else if (CONFIRMED.has(result.paymentIntent.status))
        onConfirmed({ status: result.paymentIntent.status, startedAt });
      else setError("The payment was not completed. Try again, or with another method.");
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setPaying(false);
    }
  };

  return (
    <form className="stack" onSubmit={pay} aria-label="Pay with Stripe">
      <div ref={mountOn} />
      {!ready && !error && <p className="muted small">Loading the payment form…</p>}
      <ProblemBanner error={error ? new Error(error) : null} onDismiss={() => setError(null)} />
      <button type="submit" className="button primary" disabled={!ready || paying || closed}>
        {paying ? "Paying…" : "Pay now"}
      </button>
    </form>
  );
}
