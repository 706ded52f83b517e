import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { simulatedPayouts } from "../../src/gateways/simulated-payouts";
import { uid } from "../support/api";
import { deliveredOrder, payoutVendor, runPayoutsAt, transfersOf } from "../support/payouts";

const HOUR_MS = 3_600_000;

/** A transfer made by hand at the provider, unknown to the ledger, stamped `at` by the provider's clock. */
async function strayTransfer(accountId: string, vendorId: string, at: Date) {
  const made = await simulatedPayouts(env, () => at).transfers.create({
    amount: { amountMinor: 321, currency: "INR" },
    destination: accountId,
    transferGroup: uid("ord_by_hand_"),
    sourceTransaction: null,
    metadata: { subOrderId: uid("sub_unknown_"), orderId: "ord_by_hand", vendorId },
    idempotencyKey: uid("stray-"),
  });
  expect(made.ok).toBe(true);
}

// Reconciliation reads the provider's whole list, so this file's storage holds only its own plants.
describe("payout reconciliation's provider listing", () => {
  it("lists from the last reconciliation that held, less an hour, not the whole period", async () => {
    const vendor = await payoutVendor();
    const first = await deliveredOrder(vendor);
    expect((await runPayoutsAt(8)).result.status).toBe("paid");
    expect(await transfersOf(first.subOrderId)).toMatchObject([{ status: "paid" }]);
    const listed = await env.DB.prepare(
      "select listed_before as at from payout_runs where listed_before is not null order by listed_before desc limit 1",
    ).first<{ at: string }>();
    expect(Date.parse(listed!.at)).toBeLessThanOrEqual(Date.now());

    // Made (by the provider's clock) two hours before that listing: the listing saw it then, and
    // held, so the next runs do not list it again.
    await strayTransfer(vendor.accountId, vendor.vendorId, new Date(Date.parse(listed!.at) - 2 * HOUR_MS));
    const second = await deliveredOrder(vendor);
    expect((await runPayoutsAt(8)).result.status).toBe("paid");
    expect(await transfersOf(second.subOrderId)).toMatchObject([{ status: "paid" }]);

    // Made since: listed, unknown to the ledger, the run stops.
    await strayTransfer(vendor.accountId, vendor.vendorId, new Date());
    const stopped = (await runPayoutsAt(8)).result;
    expect(stopped.status).toBe("halted");
    expect(stopped.problems.join("\n")).toContain("321 to");
    const kept = await env.DB.prepare("select listed_before as at from payout_runs where id = ?")
      .bind(stopped.runId)
      .first<{ at: string | null }>();
    expect(kept?.at).toBeNull();
  });
});
