import { continueJob } from "../gateways/order-events";
import { reconcileBridgePage } from "../inventory/bridge-reconcile";

/**
 * Every minute, and right after itself while rows wait: one page of staged bridge rows into the
 * stock objects (`reconcileBridgePage`). A full page hands the rest to a consumer invocation of its
 * own on the queue; the claim is by lease, not by cursor, so a continuation carries no position and
 * any number of pages may run at once.
 */
export async function reconcileBridge(env: Env, now: Date) {
  const page = await reconcileBridgePage(env, now);
  if (page.more) {
    // The queue delivers later than `now`: the continuation claims at its own time.
    await continueJob(env, { job: "inventory-bridge", at: new Date().toISOString(), after: { key: "", id: "" } });
  }
  return { ...page, continued: page.more };
}
