import { ApiProblem } from "../api";
import type { ProblemBody } from "../types";

type Shortage = NonNullable<ProblemBody["shortages"]>[number];

type FieldError = NonNullable<ProblemBody["errors"]>[number];

/**
 * The cart a checkout problem answers, for words the shopper knows: each request line's title, in
 * the request's order (a problem names a line by its place there), and the postal code sent.
 */
export type CartWords = { lineTitles: readonly string[]; postalCode: string };

/**
 * What a shortage is short of, for the shopper: its cart line (`lineIndex` counts from 0) and what
 * the line named, or the line's title when the cart is known. A line by product names the product
 * and, once routing gave it one, the offer; a line by SKU names the SKU.
 */
export function shortageSubject(s: Shortage, cart?: CartWords): string {
  const title = cart?.lineTitles[s.lineIndex];
  if (title !== undefined) return title;
  const line = `Line ${s.lineIndex + 1}`;
  if (s.productId !== undefined) {
    return `${line} (product ${s.productId}${s.skuId !== undefined ? `, offer ${s.skuId}` : ""})`;
  }
  return s.skuId !== undefined ? `${line} (${s.skuId})` : line;
}

/**
 * A field error as a `subject: message` pair. With the cart known, a path into a line (`lines.2.qty`)
 * is the line's title, the lines as a whole (the order total) need no subject, and a postal code
 * the server cannot place is said as the shopper can act on it (the storefront sends no coordinates).
 */
export function fieldErrorText(e: FieldError, cart?: CartWords): { subject: string | null; message: string } {
  if (!cart) return { subject: e.path, message: e.message };
  if (e.path === "shipTo.address.postalCode" && e.message.startsWith("unknown postal code")) {
    return {
      subject: null,
      message: `We can't deliver to PIN code ${cart.postalCode} yet: check it, or use another address`,
    };
  }
  if (e.path === "lines") return { subject: null, message: e.message };
  const line = /^lines\.(\d+)(?:\.|$)/.exec(e.path);
  const title = line ? cart.lineTitles[Number(line[1])] : undefined;
  return { subject: title ?? e.path, message: e.message };
}

/**
 * Shows an API problem as the API stated it: its code, detail, field errors and shortages; in the
 * cart's words when `cart` is given.
 */
export function ProblemBanner({
  error,
  onDismiss,
  cart,
}: {
  error: unknown;
  onDismiss?: () => void;
  cart?: CartWords;
}) {
  if (!error) return null;
  const p = error instanceof ApiProblem ? error.problem : null;
  const message = p ? p.detail || p.title : error instanceof Error ? error.message : String(error);
  return (
    <div className="problem" role="alert">
      <div className="problem-head">
        <strong>{p ? p.title : "Something went wrong"}</strong>
        {p && <code className="problem-code">{p.code}</code>}
        {onDismiss && (
          <button type="button" className="link-button problem-close" onClick={onDismiss} aria-label="Dismiss">
            ×
          </button>
        )}
      </div>
      {message && message !== p?.title && <p>{message}</p>}
      {p?.errors && p.errors.length > 0 && (
        <ul>
          {p.errors.map((e) => {
            const said = fieldErrorText(e, cart);
            return (
              <li key={`${e.path}:${e.message}`}>
                {said.subject !== null && <>{cart ? said.subject : <code>{said.subject}</code>}: </>}
                {said.message}
              </li>
            );
          })}
        </ul>
      )}
      {p?.shortages && p.shortages.length > 0 && (
        <ul>
          {p.shortages.map((s) => (
            <li key={`${s.lineIndex}:${s.skuId ?? ""}`}>
              {shortageSubject(s, cart)}: asked for {s.requested}, {s.available} available
            </li>
          ))}
        </ul>
      )}
      {p?.allowed && p.allowed.length > 0 && <p>Allowed next: {p.allowed.join(", ")}</p>}
      {p?.requestId && <p className="muted small">Request id: {p.requestId}</p>}
    </div>
  );
}
