import type { EarningState, PlatformEarnings, SubOrderEarnings, VendorEarnings } from "../contracts/earnings";
import { creditNotePdfPath } from "../contracts/orders";
import { database } from "../db/client";
import { platformEarnings, type SubOrderEarningsRow, vendorEarnings, vendorSubOrderEarnings } from "../db/earnings";
import type { After, Page } from "../db/paging";
import { creditNoteNumber } from "../domain/financial-year";
import { addSeconds, isoSeconds } from "../domain/time";
import { config } from "../platform/config";

const DAY_SECONDS = 86_400;

/** The moment delivered earnings clear: delivered at or before it means past the hold. */
function cutoffOf(env: Env, now: Date): string {
  return isoSeconds(addSeconds(now, -config(env).payoutHoldDays * DAY_SECONDS));
}

export async function earningsOfVendor(
  env: Env,
  vendorId: string,
  now: Date,
  withHeld: boolean,
): Promise<VendorEarnings> {
  const { currency, payoutHoldDays } = config(env);
  const totals = await vendorEarnings(database(env), vendorId, { currency, cutoff: cutoffOf(env, now), withHeld });
  return { vendorId, currency, ...totals, holdDays: payoutHoldDays, asOf: isoSeconds(now) };
}

export async function earningsOfPlatform(env: Env, now: Date): Promise<PlatformEarnings> {
  const { currency, payoutHoldDays } = config(env);
  const totals = await platformEarnings(database(env), { currency, cutoff: cutoffOf(env, now) });
  return { currency, ...totals, holdDays: payoutHoldDays, asOf: isoSeconds(now) };
}

/**
 * Where a sub-order's money stands: owed (pending or cleared), moving, paid, set against the
 * vendor's carried debt, or nothing owed at all.
 */
function stateOf(r: SubOrderEarningsRow, clearsAt: string | null, now: string): EarningState {
  if (r.payableMinor > 0) return clearsAt !== null && clearsAt <= now ? "cleared" : "pending";
  if (r.inTransitMinor > 0) return "in_transit";
  if (r.transferredMinor > 0) return "transferred";
  if (r.setOffMinor > 0) return "set_off";
  return "nothing_owed";
}

export async function subOrderEarningsOfVendor(
  env: Env,
  vendorId: string,
  f: { after: After | undefined; limit: number; now: Date; withHeld: boolean },
): Promise<Page<SubOrderEarnings>> {
  const { payoutHoldDays, financialYear } = config(env);
  const hold = payoutHoldDays * DAY_SECONDS;
  const now = isoSeconds(f.now);
  const found = await vendorSubOrderEarnings(database(env), vendorId, f);
  return {
    nextCursor: found.nextCursor,
    items: found.items.map((r) => {
      const delivered = r.status === "delivered" || r.status === "returned" ? r.deliveredAt : null;
      // Waiting on a refund or a review, it clears only once that is done: no date to give.
      const clearsAt = delivered && !r.waiting ? isoSeconds(addSeconds(new Date(delivered), hold)) : null;
      const creditNotes = r.creditNotes.map(({ financialYear: year, number, ...n }) => ({
        ...n,
        number: year === null || number === null ? null : creditNoteNumber(year, number, financialYear),
        pdfUrl: creditNotePdfPath(n.id),
      }));
      const { waiting: _, ...figures } = r;
      return { ...figures, creditNotes, clearsAt, state: stateOf(r, clearsAt, now) };
    }),
  };
}
