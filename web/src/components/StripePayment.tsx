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

const failures = (order: OrderView) => order.timeline.filter((e) => e.type === "payment.failed").length;

/**
 * Pays an order's PaymentIntent with Stripe's Payment Element. Once confirmed, the order is polled
 * until the webhook marks it paid (the caller then unmounts this) or records a failed attempt,
 * which brings the form back: the holds stay, so the shopper may try again.
 */
export function StripePayment({
  payment,
  order,
  reload,
}: {
  payment: { id: string; clientSecret: string; publishableKey: string };
  order: OrderView | null;
  reload: () => void;
}) {
  const [returned] = useState(() => returnedFromStripe(payment.id));
  // The failed attempts the order had when this confirmation began (null: not known yet).
  const [waiting, setWaiting] = useState<{ failuresBefore: number | null } | null>(() =>
    returned && CONFIRMED.has(returned) ? { failuresBefore: null } : null,
  );
  const [error, setError] = useState<string | null>(() =>
    returned === "failed" ? "The payment was not completed. Try again, or with another method." : null,
  );

  useEffect(() => {
    // The client secret must not stay in the address bar or the history.
    if (returned !== null) navigate(window.location.pathname, { replace: true });
  }, [returned]);

  useEffect(() => {
    if (!waiting || !order) return;
    if (waiting.failuresBefore === null) setWaiting({ failuresBefore: failures(order) });
    else if (failures(order) > waiting.failuresBefore) {
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
  return (
    <PaymentForm
      payment={payment}
      error={error}
      setError={setError}
      onConfirmed={() => setWaiting({ failuresBefore: order ? failures(order) : null })}
    />
  );
}

function PaymentForm({
  payment,
  error,
  setError,
  onConfirmed,
}: {
  payment: { clientSecret: string; publishableKey: string };
  error: string | null;
  setError: (e: string | null) => void;
  onConfirmed: () => void;
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
    if (!ready || paying) return;
    setPaying(true);
    setError(null);
    try {
      // Card payments confirm in place; a method that needs the bank's page comes back to the shop.
      const result = await ready.stripe.confirmPayment({
        elements: ready.elements,
        confirmParams: { return_url: new URL("/", window.location.origin).href },
        redirect: "if_required",
      });
      if (result.error) setError(result.error.message ?? "The payment did not go through.");
      else if (CONFIRMED.has(result.paymentIntent.status)) onConfirmed();
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
      <button type="submit" className="button primary" disabled={!ready || paying}>
        {paying ? "Paying…" : "Pay now"}
      </button>
    </form>
  );
}
