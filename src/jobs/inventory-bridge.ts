import { continueJob } from "../gateways/order-events";
import { reconcileBridgePage } from "../inventory/bridge-reconcile";

// Continuations a full page of the minute's run hands on: the queue may run them side by side
// (each in its own delivery), each continuing itself while it finds a full page.
export const FAN_OUT = 4;

/**
 * Every minute, and right after itself while rows wait: one page of staged bridge rows into the
 * stock objects (`reconcileBridgePage`). A full page hands the rest to consumer invocations of
 * their own on the queue; the claim is by lease, not by cursor, so a continuation carries no
 * position and any number of pages may run at once. `after` is set on a continuation, which hands
 * on one; the minute's run fans out to FAN_OUT.
 */
export async function reconcileBridge(env: Env, now: Date, after?: unknown) {
  const page = await reconcileBridgePage(env, now);
  if (page.more) {
    // The queue delivers later than `now`: each continuation claims at its own time.
    const next = { job: "inventory-bridge" as const, at: new Date().toISOString(), after: { key: "", id: "" } };
    await Promise.all(Array.from({ length: after === undefined ? FAN_OUT : 1 }, () => continueJob(env, next)));
  }
  return { ...page, continued: page.more };
}
