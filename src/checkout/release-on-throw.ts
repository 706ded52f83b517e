import { releaseUnpaid } from "../gateways/stock";
import type { Attempt } from "./attempt";

/**
 * Runs a step that follows the claim: if it throws (a D1 error, a bug), the claim goes back before
 * the error surfaces, so a failed checkout never keeps stock held until its alarm. Release is
 * idempotent in the stock objects, and releasing a SKU this attempt did not hold changes nothing.
 */
export async function releaseOnThrow<T>(a: Attempt, skuIds: readonly string[], step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    await releaseUnpaid(a.env, a.holdId, skuIds, "checkout_failed").catch(() => {});
    throw err;
  }
}
