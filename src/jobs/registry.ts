import { runLowStockAlerts } from "../analytics/low-stock";
import { runAnalyticsRollups } from "../analytics/runs";
import { sweepOutbox } from "../gateways/order-events";
import { pruneBridgeRows } from "../inventory/bridge-retention";
import { runPayouts } from "../payouts/run";
import { followUpStockMoves } from "../reassignment/stock-follow-up";
import { followUpReturns } from "../returns/follow-up";
import { auditInvariants } from "./audit-invariants";
import { expireHolds } from "./expire-holds";
import { purgeExpiredKeys } from "./housekeeping";
import { reconcileBridge } from "./inventory-bridge";
import { sendNotifications } from "./notification-sender";
import { retryPendingRefunds } from "./pending-refunds";
import { routingRefit } from "./routing-refit";
import { watchSlas } from "./sla-watcher";

export type Job = {
  name: string;
  /** A cron expression that is also listed under [triggers] in wrangler.toml. */
  schedule: string;
  description: string;
  run: (env: Env, now: Date) => Promise<unknown>;
};

export const jobs: readonly Job[] = [
  {
    name: "expire-holds",
    schedule: "* * * * *",
    description:
      "Cancel unpaid orders whose holds expired (payment first), or confirm ones whose payment already succeeded",
    run: expireHolds,
  },
  {
    name: "sla-watcher",
    schedule: "* * * * *",
    description: "Nudge vendors before their dispatch deadline; cancel and refund sub-orders past it",
    run: watchSlas,
  },
  {
    name: "pending-refunds",
    schedule: "* * * * *",
    description: "Refund cancelled sub-orders whose refund the provider has not made yet (one key per sub-order)",
    run: retryPendingRefunds,
  },
  {
    name: "notification-sender",
    schedule: "* * * * *",
    description: "Send queued notifications by priority under the provider's per-minute limit",
    run: sendNotifications,
  },
  {
    name: "outbox-sweep",
    schedule: "* * * * *",
    description: "Send order events that were written but not yet queued",
    run: (env, now) => sweepOutbox(env, now),
  },
  {
    name: "reassignment-stock",
    schedule: "* * * * *",
    description:
      "Finish the stock side of reassignments whose request stopped after its D1 write; alert ops about any still refused after an hour",
    run: followUpStockMoves,
  },
  {
    name: "returns-follow-up",
    schedule: "* * * * *",
    description:
      "Finish returns whose request stopped after claiming their units: restock them under the claim's keys and record the return",
    run: followUpReturns,
  },
  {
    name: "inventory-bridge",
    schedule: "* * * * *",
    description:
      "Apply the rows vendors' sheets and ERPs sent through the inventory bridge to the stock objects, a page at a time",
    run: (env, now) => reconcileBridge(env, now),
  },
  {
    name: "prune-bridge-rows",
    schedule: "* * * * *",
    description:
      "Delete inventory-bridge rows applied more than 7 days ago, a bounded page at a time, keeping the latest count of each SKU and warehouse that the drift report shows",
    run: pruneBridgeRows,
  },
  {
    name: "audit-invariants",
    schedule: "*/15 * * * *",
    description: "Check that paid orders are committed exactly once and stock equations hold",
    run: auditInvariants,
  },
  {
    name: "analytics-rollups",
    schedule: "*/15 * * * *",
    description:
      "Snapshot the stock mirror for the day and recompute the analytics roll-ups of every day whose orders changed since the event-log watermark",
    run: runAnalyticsRollups,
  },
  {
    name: "low-stock-alerts",
    schedule: "*/15 * * * *",
    description:
      "Tell the vendor and ops once when a SKU's available units in a warehouse fall to its low-stock threshold; re-arm once back above",
    run: runLowStockAlerts,
  },
  {
    name: "purge-expired-keys",
    schedule: "0 * * * *",
    description:
      "Forget idempotency keys past retention, vendors' hourly loads of past days and old inventory-bridge page records",
    run: purgeExpiredKeys,
  },
  {
    name: "routing-refit",
    schedule: "0 * * * *",
    description:
      "Re-fit each vendor's dispatch speed and reliability from recent outcomes and nudge the routing weights (a new version records what changed)",
    run: routingRefit,
  },
  {
    name: "payouts",
    schedule: "0 * * * *",
    description:
      "Reconcile the period, then transfer each delivered sub-order's net to its vendor once the hold has passed; reverse or carry forward refunds that followed a transfer",
    run: runPayouts,
  },
];

export function findJob(name: string): Job | undefined {
  return jobs.find((j) => j.name === name);
}
