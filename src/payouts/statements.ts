import type { PayoutRun, PayoutTransfer } from "../db/payouts";
import { csv } from "../exports/csv";

/**
 * The payout files people download: a vendor's statement of one payout, and the ops team's
 * reconciliation of a run. Amounts are integer minor units with their currency, exactly as the
 * ledger holds them, so a spreadsheet's sums match the ledger's to the unit.
 */

const TRANSFER_COLUMNS = [
  "sub_order_id",
  "order_id",
  "payable_minor",
  "carried_forward_minor",
  "amount_minor",
  "reversed_minor",
  "currency",
  "status",
  "provider_transfer_id",
  "paid_at",
] as const;

const transferRow = (t: PayoutTransfer) => [
  t.subOrderId,
  t.orderId,
  t.payableMinor,
  t.carryForwardMinor,
  t.amountMinor,
  t.reversedMinor,
  t.currency,
  t.status,
  t.providerTransferId ?? "",
  t.confirmedAt ?? "",
];

/** One vendor's transfers in one run, a row per sub-order. */
export function statementCsv(transfers: readonly PayoutTransfer[]): string {
  return csv([[...TRANSFER_COLUMNS], ...transfers.map(transferRow)]);
}

/**
 * A run's reconciliation: its verdict and figures, then every transfer it made, each row tagged
 * with its section so one sheet holds all three.
 */
export function reconciliationCsv(run: PayoutRun, transfers: readonly PayoutTransfer[]): string {
  const rows: (string | number)[][] = [["section", "name", "vendor_id", ...TRANSFER_COLUMNS]];
  const blank = TRANSFER_COLUMNS.map(() => "");
  rows.push(["run", run.status, "", ...blank]);
  rows.push(["period", `${run.periodFrom} .. ${run.periodBefore}`, "", ...blank]);
  for (const [name, value] of Object.entries(run.figures ?? {})) {
    rows.push(["figure", name, "", ...blank.map((b, i) => (TRANSFER_COLUMNS[i] === "amount_minor" ? value : b))]);
  }
  for (const p of run.problems ?? []) rows.push(["problem", p, "", ...blank]);
  for (const t of transfers) rows.push(["transfer", t.id, t.vendorId, ...transferRow(t)]);
  return csv(rows);
}
