/**
 * The inputs and results of AddressLimits' RPC methods: what crosses the stub. Refusals are values,
 * since an error thrown over RPC arrives with only its name and message.
 */

/** One checkout's units of one SKU, counted against the client address while the hold lasts. */
export type UnitClaim = {
  holdId: string;
  /** integer >= 1 */
  qty: number;
  /** epoch ms: the hold's own expiry; past it the units no longer count */
  expiresAt: number;
  /** cap on the address's counted units of this SKU, including this claim */
  max: number;
};
/** A counted hold as the object knows it; `seq` changes each time the hold id is claimed again. */
export type CountedHold = { holdId: string; seq: number };
export type UnitClaimResult =
  | { ok: true }
  | {
      ok: false;
      code: "ADDRESS_LIMIT";
      limit: number;
      current: number;
      /** when the earliest counted hold lapses */
      retryAfterMs: number;
      /** every hold counted, so the caller may ask the stock object which of them are still unpaid */
      counted: CountedHold[];
    };
export type AdmitResult = { ok: true } | { ok: false; code: "ADDRESS_LIMIT"; limit: number; retryAfterMs: number };
