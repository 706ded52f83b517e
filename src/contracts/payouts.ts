import { z } from "@hono/zod-openapi";
import { Currency, Id, IsoTime } from "./common";

export const PayoutRunParams = z.object({ runId: Id });
export const VendorPayoutParams = z.object({ vendorId: Id, runId: Id });

const minor = z.number().int();

export const PayoutRunView = z
  .object({
    id: Id,
    status: z.enum(["running", "paid", "halted", "interrupted"]),
    currency: Currency,
    periodFrom: IsoTime.openapi({ description: "The reconciled period by capture date: from (inclusive)" }),
    periodBefore: IsoTime.openapi({ description: "... to (exclusive): the run's start" }),
    transfers: z.number().int(),
    transferredMinor: minor,
    held: z.number().int().openapi({ description: "Sub-orders due but not paid (see `heldBack`)" }),
    pages: z.number().int().openapi({ description: "Invocations the run took: its first and each continuation page" }),
    reversals: z.number().int(),
    reversedMinor: minor,
    carriedMinor: minor.openapi({
      description: "Refunds after payout the provider would not reverse, carried forward",
    }),
    problems: z.array(z.string()).openapi({ description: "Why a halted run paid no sub-order due" }),
    figures: z.record(z.string(), z.number()).nullable(),
    startedAt: IsoTime,
    finishedAt: IsoTime.nullable(),
  })
  .openapi("PayoutRun");

export const HeldBack = z.object({
  vendorId: Id,
  reason: z.string(),
  subOrders: z.number().int(),
  payableMinor: minor,
});

export const PayoutRunDetail = PayoutRunView.extend({ heldBack: z.array(HeldBack) }).openapi("PayoutRunDetail");

export const PayoutBanner = z
  .object({ latest: PayoutRunView.nullable() })
  .openapi("PayoutBanner", { description: "The latest finished run: the ops dashboard warns when it halted" });

export const VendorPayout = z
  .object({
    runId: Id,
    startedAt: IsoTime,
    currency: Currency,
    transfers: z.number().int(),
    amountMinor: minor.openapi({ description: "Transferred to the vendor's connected account" }),
    carriedForwardMinor: minor.openapi({ description: "Earlier debt netted off this payout" }),
    reversedMinor: minor.openapi({ description: "Taken back since, for refunds after the payout" }),
  })
  .openapi("VendorPayout");
