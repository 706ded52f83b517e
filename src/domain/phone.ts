import { type CountryCode, parsePhoneNumberFromString } from "libphonenumber-js";

/**
 * A phone number as a shopper or vendor typed it, as the international digits a provider dials:
 * one typed without its country code (`98450 19999`) is read as a number of the marketplace's
 * country (`919845019999`), never as a number abroad whose code its first digits happen to be.
 * Null when it is no valid number there or anywhere.
 */
export function internationalDigits(typed: string, country: string): string | null {
  const parsed = parsePhoneNumberFromString(typed, country as CountryCode);
  return parsed?.isValid() ? parsed.number.slice(1) : null;
}
