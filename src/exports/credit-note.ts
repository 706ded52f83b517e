import type { CreditNoteRow } from "../db/order-export";
import { displayAmount, displayTime } from "./format";
import { renderPdf } from "./pdf";

/** What a shopper is owed back for a cancelled or returned sub-order, as a document to keep. */
export function creditNotePdf(note: CreditNoteRow, asOf: string): Promise<Uint8Array> {
  const amount = displayAmount(note.amountMinor, note.currency);
  return renderPdf({
    title: `Credit note ${note.id}`,
    lines: [
      `Order ${note.orderId}, sub-order ${note.subOrderId}, sold by ${note.vendorName ?? note.vendorId}.`,
      `Issued ${displayTime(note.createdAt)}; printed ${displayTime(asOf)}.`,
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
