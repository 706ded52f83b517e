import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { simulatedPayouts } from "../../src/gateways/simulated-payouts";
import { applyPayoutEvent } from "../../src/payout-accounts/payout-events";
import { ADMIN, api, uid } from "../support/api";
import {
  balance,
  deliveredOrder,
  leftPending,
  owed,
  payoutVendor,
  runPayoutsAt,
  transfersOf,
} from "../support/payouts";

/**
 * A transfer a dead run wrote pending and never asked the provider for is asked for again by the
 * next run only while its vendor is still paid at the account the row names: an account disabled
 * since (account.updated) or re-linked by ops fails the row, and the sub-order is judged again by
 * the run's own rules, held back with the reason or paid to the vendor's account of now.
 */

/** The provider's `account.updated` for the account, through the Connect webhook's handler. */
async function accountUpdated(accountId: string, ready: boolean) {
  const r = await applyPayoutEvent(
    env,
    {
      eventId: uid("evt_"),
      type: "account.updated",
      at: new Date(),
      account: {
        accountId,
        payoutsEnabled: ready,
        detailsSubmitted: true,
        disabledReason: ready ? null : "requirements.past_due",
        requirementsDue: ready ? [] : ["external_account"],
      },
    },
    new Date(),
  );
  expect(r.applied).toBe(true);
}

/** Where the provider sent money for the sub-order. */
async function destinationsOf(subOrderId: string) {
  const { results } = await env.DB.prepare("select destination, amount_minor from sim_transfers where sub_order_id = ?")
    .bind(subOrderId)
    .all<{ destination: string; amount_minor: number }>();
  return results;
}

async function holdReason(runId: string, subOrderId: string) {
  const row = await env.DB.prepare("select reason from payout_holds where run_id = ? and sub_order_id = ?")
    .bind(runId, subOrderId)
    .first<{ reason: string }>();
  return row?.reason;
}

describe("a pending transfer asked for again", () => {
  it("is not made once the vendor's account is disabled: the sub-order is held back with the others, and paid once it is ready", async () => {
    const vendor = await payoutVendor();
    const pending = await deliveredOrder(vendor, 4);
    const other = await deliveredOrder(vendor);
    const due = await owed(pending.subOrderId);
    await leftPending(vendor, pending);
    await accountUpdated(vendor.accountId, false);

    const run = (await runPayoutsAt(8)).result;
    expect(run.status).toBe("paid");
    expect(await destinationsOf(pending.subOrderId)).toEqual([]);
    expect(await transfersOf(pending.subOrderId)).toMatchObject([
      { status: "failed", failure: expect.stringContaining("no longer due") },
    ]);
    // Its money is the vendor's payable again, held back for the same reason as its other sub-order.
    expect(await owed(pending.subOrderId)).toBe(due);
    expect(await balance(pending.subOrderId, "vendor_transfer_pending")).toBe(0);
    for (const o of [pending, other]) {
      expect(await holdReason(run.runId, o.subOrderId)).toContain("payout account not ready: requirements.past_due");
    }

    await accountUpdated(vendor.accountId, true);
    expect((await runPayoutsAt(8)).result.status).toBe("paid");
    expect(await destinationsOf(pending.subOrderId)).toEqual([{ destination: vendor.accountId, amount_minor: due }]);
    expect((await transfersOf(pending.subOrderId)).map((t) => t.status).sort()).toEqual(["failed", "paid"]);
    expect(await owed(pending.subOrderId)).toBe(0);
  });

  it("is not sent to an account ops re-linked away, now another vendor's: the vendor is paid at its new account", async () => {
    const vendor = await payoutVendor();
    const o = await deliveredOrder(vendor, 3);
    const due = await owed(o.subOrderId);
    const oldAccount = vendor.accountId;
    await leftPending(vendor, o);

    // Ops move the vendor to a new account (ready once the provider reports it) and give the old one to another vendor.
    const made = await simulatedPayouts(env).accounts.create({
      vendorId: vendor.vendorId,
      country: "IN",
      idempotencyKey: uid("acct-"),
    });
    if (!made.ok) throw new Error(made.message);
    const newAccount = made.value.accountId;
    const relinked = await api("PATCH", `/v1/vendors/${vendor.vendorId}`, {
      token: ADMIN,
      body: { payoutAccountId: newAccount },
    });
    expect(relinked.status, JSON.stringify(relinked.body)).toBe(200);
    await accountUpdated(newAccount, true);
    const other = await payoutVendor();
    const given = await api("PATCH", `/v1/vendors/${other.vendorId}`, {
      token: ADMIN,
      body: { payoutAccountId: oldAccount },
    });
    expect(given.status, JSON.stringify(given.body)).toBe(200);
    await accountUpdated(oldAccount, true);

    expect((await runPayoutsAt(8)).result.status).toBe("paid");
    expect(await destinationsOf(o.subOrderId)).toEqual([{ destination: newAccount, amount_minor: due }]);
    const transfers = await transfersOf(o.subOrderId);
    expect(transfers.map((t) => t.status).sort()).toEqual(["failed", "paid"]);
    expect(transfers.filter((t) => t.status === "failed")).toMatchObject([
      { failure: expect.stringContaining("no longer due") },
    ]);
    expect(await owed(o.subOrderId)).toBe(0);
    expect(await balance(o.subOrderId, "vendor_paid")).toBe(-due);
  });
});
