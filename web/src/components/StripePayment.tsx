import type { Stripe, StripeElements } from "@stripe/stripe-js";
// The /pure entry injects Stripe.js only when loadStripe is called; the default entry would load it
// from js.stripe.com on import, on every page, with or without Stripe configured.
import { loadStripe } from "@stripe/stripe-js/pure";
import { type FormEvent, useEffect, useRef, useState } from "react";
import { holdExpired } from "../hold-expiry";
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

/** The query Stripe adds to `return_url` on its redirect back: it names the intent, its client secret and how it ended. */
export const STRIPE_RETURN_PARAMS = ["payment_intent", "payment_intent_client_secret", "redirect_status"] as const;

/**
 * Where a payment method that leaves the page (3-D Secure, a bank's page) comes back to: the page
 * the form is on (the storefront, or My orders), without its query.
 */
export function returnUrl(location: { origin: string; pathname: string }): string {
  return new URL(location.pathname, location.origin).href;
}

/** `search` without Stripe's return query, or null when it has none of it. */
export function withoutStripeReturn(search: string): string | null {
  const q = new URLSearchParams(search);
  if (!STRIPE_RETURN_PARAMS.some((k) => q.has(k))) return null;
  for (const k of STRIPE_RETURN_PARAMS) q.delete(k);
  const rest = q.toString();
  return rest ? `?${rest}` : "";
}

/**
 * Stripe's return as the page was opened with it, read once: the address bar is stripped of it as
 * soon as the page mounts, while a payment form may mount later (My orders opens it on Pay). The
 * form that takes it up forgets it, so a form mounted again later does not wait on it a second time.
 */
let openedWith: { paymentIntent: string | null; redirectStatus: string | null } | undefined;
function stripeReturn() {
  if (openedWith === undefined) {
    const q = new URLSearchParams(window.location.search);
    openedWith = { paymentIntent: q.get("payment_intent"), redirectStatus: q.get("redirect_status") };
  }
  return openedWith;
}

/** How Stripe's redirect ended for this intent, when the page was opened by it; without side effects (React may call a state initializer twice). */
export function returnedFromStripe(paymentId: string): string | null {
  const r = stripeReturn();
  return r.paymentIntent === paymentId ? r.redirectStatus : null;
}

/**
 * For a page a payment form may send the shopper away from: Stripe's query (the client secret with
 * it) leaves the address bar and the history once the page mounts, whatever payment it names.
 */
export function useStripeReturnStripped() {
  useEffect(() => {
    stripeReturn();
    const search = withoutStripeReturn(window.location.search);
    if (search !== null) navigate(`${window.location.pathname}${search}${window.location.hash}`, { replace: true });
  }, []);
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
  holdExpiresAt,
}: {
  payment: { id: string; clientSecret: string; publishableKey: string };
  order: OrderView | null;
  reload: () => void;
  /** The order's hold has expired: no new attempt may start (one already confirmed is still waited on). */
  closed?: boolean;
  /** Checked again when Pay is pressed: `closed` follows a timer, which may not have run yet after a sleep. */
  holdExpiresAt?: string;
}) {
  const [returned] = useState(() => returnedFromStripe(payment.id));
  useEffect(() => {
    if (returned !== null) openedWith = { paymentIntent: null, redirectStatus: null };
  }, [returned]);
  // Back from the bank's page, the attempt is the one Stripe just finished: it started before this
  // mount, but any failure of a processing one comes after.
  const [waiting, setWaiting] = useState<Attempt | null>(() =>
    returned && CONFIRMED.has(returned) ? { status: returned, startedAt: Date.now() } : null,
  );
  const [error, setError] = useState<string | null>(() =>
    returned === "failed" ? "The payment was not completed. Try again, or with another method." : null,
  );

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
  return (
    <PaymentForm
      payment={payment}
      error={error}
      setError={setError}
      closed={closed}
      holdExpiresAt={holdExpiresAt}
      onConfirmed={setWaiting}
    />
  );
}

function PaymentForm({
  payment,
  error,
  setError,
  closed,
  holdExpiresAt,
  onConfirmed,
}: {
  payment: { clientSecret: string; publishableKey: string };
  error: string | null;
  setError: (e: string | null) => void;
  closed: boolean;
  holdExpiresAt: string | undefined;
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
    if (holdExpiresAt !== undefined && holdExpired(holdExpiresAt, Date.now())) {
      setError("This order's hold has expired: place it again.");
      return;
    }
    setPaying(true);
    setError(null);
    const startedAt = Date.now();
    try {
      // Card payments confirm in place; a method that needs the bank's page comes back to this page.
      const result = await ready.stripe.confirmPayment({
        elements: ready.elements,
        confirmParams: { return_url: returnUrl(window.location) },
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
