import type { CreditNoteRow } from "../db/order-export";
import { creditNoteNumber, type FinancialYearRule } from "../domain/financial-year";
import { displayAmount } from "../domain/money";
import { displayLocalTime, displayTime } from "./format";
import { renderPdf } from "./pdf";

/**
 * What a shopper is owed back for a cancelled or returned sub-order, as a document to keep; with its
 * printed number, the one the order and earnings screens list it by (`rule` names its financial year).
 */
export function creditNotePdf(note: CreditNoteRow, asOf: string, rule: FinancialYearRule): Promise<Uint8Array> {
  const amount = displayAmount(note.amountMinor, note.currency);
  const number =
    note.financialYear === null || note.number === null
      ? null
      : creditNoteNumber(note.financialYear, note.number, rule);
  return renderPdf({
    title: `Credit note ${note.id}`,
    lines: [
      ...(number ? [`Number ${number}`] : []),
      `Order ${note.orderId}, sub-order ${note.subOrderId}, sold by ${note.vendorName ?? note.vendorId}.`,
      // Dated as its number is counted: a note issued after midnight there is of that day, and year.
      `Issued ${displayLocalTime(note.createdAt, rule.utcOffsetMinutes)}; printed ${displayTime(asOf)}.`,
    ],
    figures: [
      { label: "Amount credited", value: amount },
      { label: "Reason", value: note.reason.replaceAll("_", " ") },
      { label: "Refund", value: note.refundId ?? "pending" },
    ],
    table: {
      columns: [
        { title: "Sub-order", width: 30 },
        { title: "Reason", width: 40 },
        { title: "Amount", width: 20, right: true },
      ],
      rows: [[note.subOrderId, note.reason.replaceAll("_", " "), amount]],
    },
  });
}
