import type { FieldError } from "../contracts/common";
import { displayAmount } from "./money";

/**
 * The order totals a payment can be made for, in ISO minor units. Stripe refuses a PaymentIntent
 * below its minimum charge for the currency and above eight digits (99,999,999), and a refused
 * create would only ever fail again: such a total is the cart's to change, told before any stock
 * is held for long or any payment is opened.
 */

/** An amount's eight digits, Stripe's cap for every currency this marketplace can charge in. */
export const MAX_CHARGE_MINOR = 99_999_999;

/** Stripe's minimum charges (docs.stripe.com/currencies#minimum-and-maximum-charge-amounts), minor units. */
const MIN_CHARGE_MINOR: Readonly<Record<string, number>> = {
  AED: 200,
  AUD: 50,
  BGN: 100,
  BRL: 50,
  CAD: 50,
  CHF: 50,
  CZK: 1_500,
  DKK: 250,
  EUR: 50,
  GBP: 30,
  HKD: 400,
  HUF: 17_500,
  INR: 50,
  JPY: 50,
  MXN: 1_000,
  MYR: 200,
  NOK: 300,
  NZD: 50,
  PLN: 200,
  RON: 200,
  SEK: 300,
  SGD: 50,
  THB: 1_000,
  USD: 50,
};

export type ChargeRange = { minMinor: number; maxMinor: number };

/**
 * Elsewhere Stripe's minimum is whatever converts to US$0.50 on the day, which only it can tell:
 * the range then starts at one minor unit, as a charge is never for nothing.
 */
export function chargeRange(currency: string): ChargeRange {
  return { minMinor: MIN_CHARGE_MINOR[currency] ?? 1, maxMinor: MAX_CHARGE_MINOR };
}

/** Why a total cannot be charged, as a validation failure on the cart's lines; null when it can. */
export function unchargeableTotal(
  totalMinor: number,
  currency: string,
): { detail: string; errors: FieldError[] } | null {
  const { minMinor, maxMinor } = chargeRange(currency);
  if (totalMinor >= minMinor && totalMinor <= maxMinor) return null;
  // The shopper reads this message: amounts in the currency, as the storefront shows its prices.
  const shown = (amountMinor: number) => displayAmount(amountMinor, currency);
  return {
    detail: `The order total is outside what can be charged in ${currency}`,
    errors: [
      {
        path: "lines",
        message:
          `the order total, ${shown(totalMinor)}, must be from ${shown(minMinor)} to ${shown(maxMinor)}; ` +
          (totalMinor < minMinor ? "add to the cart" : "split it into smaller orders"),
      },
    ],
  };
}
