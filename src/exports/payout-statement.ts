import type { PayoutRun, PayoutTransfer } from "../db/payouts";
import { displayAmount } from "../domain/money";
import { displayTime } from "./format";
import { renderPdf } from "./pdf";

/** The name the marketplace's documents go out under (the app's and the API reference's). */
const MARKETPLACE = "Edge OMS";

export type StatementInput = {
  run: PayoutRun;
  vendor: { id: string; name: string };
  /** The vendor's paid transfers of the run: the statement CSV's rows. */
  transfers: readonly PayoutTransfer[];
  asOf: string;
};

/**
 * Sub-orders the statement's table prints, as an analytics report's PDF: pdf-lib builds the whole
 * document in memory and a run may pay a vendor thousands. The totals count every one; the CSV lists them.
 */
export const MAX_STATEMENT_ROWS = 1_000;

/**
 * A vendor's statement of one payout, for its books: the CSV's rows and figures with the sign and
 * grouping of the currency, their totals, and the run they belong to. A row of an A4 page holds one
 * full id beside four amounts, so the order ids and the provider's transfer references stay in the CSV.
 */
export function payoutStatementPdf({ run, vendor, transfers, asOf }: StatementInput): Promise<Uint8Array> {
  const sum = (pick: (t: PayoutTransfer) => number) => transfers.reduce((n, t) => n + pick(t), 0);
  const money = (minor: number) => displayAmount(minor, run.currency);
  const totals = {
    payable: sum((t) => t.payableMinor),
    netted: sum((t) => t.carryForwardMinor),
    net: sum((t) => t.amountMinor),
    reversed: sum((t) => t.reversedMinor),
  };
  const shown = transfers.slice(0, MAX_STATEMENT_ROWS);
  const left = transfers.length - shown.length;
  const lastPaid = transfers
    .map((t) => t.confirmedAt)
    .filter((at): at is string => at !== null)
    .sort()
    .at(-1);
  return renderPdf({
    // The title is not clipped, so the vendor's name goes on a line of its own.
    title: `${MARKETPLACE} payout statement`,
    lines: [
      `Vendor: ${vendor.name} (${vendor.id})`,
      `Payout run ${run.id}, started ${displayTime(run.startedAt)}.`,
      `Period: sales captured ${displayTime(run.periodFrom)} to ${displayTime(run.periodBefore)}.`,
      `Transfers: ${transfers.length} paid${lastPaid ? `, confirmed by ${displayTime(lastPaid)}` : ""}.`,
      `As of ${displayTime(asOf)}: amounts taken back for refunds after the payout are those known then.`,
    ],
    figures: [
      { label: "Net transferred", value: money(totals.net) },
      { label: "Earned (after commission)", value: money(totals.payable) },
      { label: "Earlier refunds netted off", value: money(totals.netted) },
      { label: "Sub-orders", value: String(transfers.length) },
      { label: "Taken back since", value: money(totals.reversed) },
    ],
    table: {
      columns: [
        { title: "Sub-order", width: 30 },
        { title: "Earned", width: 17.5, right: true },
        { title: "Netted off", width: 17.5, right: true },
        { title: "Net", width: 17.5, right: true },
        { title: "Taken back", width: 17.5, right: true },
      ],
      rows: [
        ...shown.map((t) => [
          t.subOrderId,
          money(t.payableMinor),
          money(t.carryForwardMinor),
          money(t.amountMinor),
          money(t.reversedMinor),
        ]),
        ["Total", money(totals.payable), money(totals.netted), money(totals.net), money(totals.reversed)],
      ],
    },
    footnote: [
      ...(left > 0
        ? [
            `The first ${shown.length} of ${transfers.length} sub-orders; ${left} more are left out here. The statement CSV has every row.`,
          ]
        : []),
      "Earned is what the ledger owed for the sub-order: its goods and shipping less the marketplace's commission. Net is what was transferred. Order ids and the provider's transfer references are in this payout's statement CSV.",
    ].join(" "),
  });
}
