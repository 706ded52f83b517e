import { z } from "@hono/zod-openapi";
import { Currency, IsoTime } from "./common";

/** Signed: a refund after a transfer can leave a vendor owing (negative payable) until it is carried or reversed. */
const Minor = z.number().int();

const Totals = {
  currency: Currency,
  /** Owed for sub-orders not delivered yet or still inside the payout hold. */
  pendingMinor: Minor,
  /** Owed for sub-orders delivered before the hold ran out: payable now. */
  clearedMinor: Minor,
  /** Transfers written, not yet confirmed by the payout provider. */
  inTransitMinor: Minor,
  /** Transferred to the vendors' payout accounts (zero until payouts run). */
  transferredMinor: Minor,
  /** Owed back by vendors after refunds their accounts could not cover, netted off their next transfers. */
  carriedForwardMinor: Minor,
  /** Days after delivery before earnings clear (PAYOUT_HOLD_DAYS). */
  holdDays: z.number().int(),
  asOf: IsoTime,
};

export const VendorEarnings = z.object({ vendorId: z.string(), ...Totals }).openapi("VendorEarnings");
export type VendorEarnings = z.infer<typeof VendorEarnings>;

export const PlatformEarnings = z
  .object({
    ...Totals,
    /** What shoppers paid (goods and shipping). */
    capturedMinor: Minor,
    platformFeesMinor: Minor,
    refundsMinor: Minor,
    /** What reassignments to dearer offers cost the platform (a cheaper offer lowers it). */
    reassignmentCostMinor: Minor,
    providerFeesMinor: Minor,
  })
  .openapi("PlatformEarnings");
export type PlatformEarnings = z.infer<typeof PlatformEarnings>;

export const EarningState = z.enum(["pending", "cleared", "in_transit", "transferred", "set_off", "nothing_owed"]);
export type EarningState = z.infer<typeof EarningState>;

export const SubOrderEarnings = z
  .object({
    subOrderId: z.string(),
    orderId: z.string(),
    status: z.string(),
    state: EarningState,
    createdAt: IsoTime,
    deliveredAt: IsoTime.nullable(),
    /** When the hold ends and the payable clears (null until delivered, and while a refund of it is owed or its order is held for review). */
    clearsAt: IsoTime.nullable(),
    currency: Currency,
    /** Goods still sold, at the shopper's price. */
    goodsMinor: Minor,
    shippingMinor: Minor,
    /** The platform's fee on those goods (recomputed after every refund or return). */
    feeMinor: Minor,
    /** A reassigned vendor's offer price above (or below) the shopper's price. */
    adjustmentMinor: Minor,
    refundedMinor: Minor,
    /** Owed now: goods + shipping − fee + adjustment, less what was transferred. */
    payableMinor: Minor,
    inTransitMinor: Minor,
    transferredMinor: Minor,
    /** Paid down the vendor's carried debt (from refunds after payout) instead of being transferred. */
    setOffMinor: Minor,
    history: z.array(
      z.object({
        at: IsoTime,
        kind: z.string(),
        /** How this journal changed what the vendor is owed. */
        payableMinor: Minor,
        transferredMinor: Minor,
      }),
    ),
    creditNotes: z.array(
      z.object({
        id: z.string(),
        /** Gap-free per vendor and financial year, e.g. "CN/2026-27/000042" (assigned in the note's own batch). */
        number: z.string().nullable(),
        amountMinor: Minor,
        reason: z.string(),
        createdAt: IsoTime,
        pdfUrl: z.string().openapi({ description: "GET /v1/credit-notes/{creditNoteId}/pdf, with the same token" }),
      }),
    ),
  })
  .openapi("SubOrderEarnings");
export type SubOrderEarnings = z.infer<typeof SubOrderEarnings>;
