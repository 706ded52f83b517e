import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { database, runBatch } from "../../src/db/client";
import { postJournal } from "../../src/db/ledger";
import { transferConfirmedPosting } from "../../src/domain/ledger-payouts";
import { simulatedPayouts } from "../../src/gateways/simulated-payouts";
import { ADMIN, api, newCustomer, uid } from "../support/api";
import { deliveredOrder, payoutVendor, runPayoutsAt, transfersOf } from "../support/payouts";

// Reconciliation looks at every capture and transfer of the period, so its plants live in a file
// of their own: storage is per file.

const opsAlerts = async (runId: string) =>
  (
    await env.DB.prepare("select template, payload from notifications where dedupe_key = ?")
      .bind(`payout_run_halted:${runId}`)
      .all<{ template: string; payload: string }>()
  ).results;

describe("payout reconciliation", () => {
  it("a transfer the provider reports that the ledger lacks stops the run: nothing is paid", async () => {
    const vendor = await payoutVendor();
    const due = await deliveredOrder(vendor);
    const stray = await simulatedPayouts(env).transfers.create({
      amount: { amountMinor: 777, currency: "INR" },
      destination: vendor.accountId,
      transferGroup: "ord_by_hand",
      sourceTransaction: null,
      metadata: { subOrderId: "sub_unknown", orderId: "ord_by_hand", vendorId: vendor.vendorId },
      idempotencyKey: uid("stray-"),
    });
    expect(stray.ok).toBe(true);

    const run = (await runPayoutsAt(8)).result;
    expect(run.status).toBe("halted");
    expect(run.problems.join("\n")).toContain("777 to");
    expect(await transfersOf(due.subOrderId)).toHaveLength(0);
    const [alert] = await opsAlerts(run.runId);
    expect(alert).toMatchObject({ template: "payout_run_halted" });
    expect(JSON.parse(alert!.payload).text).toContain("stopped before paying any sub-order due");
    const banner = await api("GET", "/v1/payouts/latest", { token: ADMIN });
    expect(banner.body.latest).toMatchObject({ id: run.runId, status: "halted" });
    const csv = await api("GET", `/v1/payouts/runs/${run.runId}/reconciliation.csv`, { token: ADMIN });
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toContain("text/csv");
    expect(String(csv.body)).toContain("problem,");

    // Ops take it out at the provider (here: the simulator's row); the next run pays.
    if (stray.ok) await env.DB.prepare("delete from sim_transfers where id = ?").bind(stray.value.id).run();
    expect((await runPayoutsAt(8)).result.status).toBe("paid");
    expect(await transfersOf(due.subOrderId)).toMatchObject([{ status: "paid" }]);
  });

  it("a refund of an order paid before the ledger began does not stop the run", async () => {
    const vendor = await payoutVendor();
    const due = await deliveredOrder(vendor);
    // Paid in 2020, before the ledger existed (no capture journal), and part refunded today.
    const { customerId } = await newCustomer();
    const orderId = uid("ord_old");
    const paymentId = uid("pay_old");
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
    await env.DB.batch([
      env.DB.prepare(
        `insert into orders (id, customer_id, status, payment_status, currency, total_minor, ship_to, ship_lat, ship_lng,
           hold_id, hold_expires_at, paid_at, created_at, updated_at)
         values (?, ?, 'delivered', 'partially_refunded', 'INR', 100000, '{}', 12.97, 77.59, ?, ?, ?, ?, ?)`,
      ).bind(
        orderId,
        customerId,
        uid("hold_old"),
        "2020-01-01T00:15:00Z",
        "2020-01-01T00:01:00Z",
        "2020-01-01T00:00:00Z",
        now,
      ),
      env.DB.prepare(
        `insert into payments (id, order_id, provider, status, amount_minor, refunded_minor, currency, created_at, updated_at)
         values (?, ?, 'simulated', 'succeeded', 100000, 40000, 'INR', '2020-01-01T00:00:00Z', ?)`,
      ).bind(paymentId, orderId, now),
      env.DB.prepare(
        `insert into refunds (id, payment_id, order_id, amount_minor, currency, reason, created_at)
         values (?, ?, ?, 40000, 'INR', 'return', ?)`,
      ).bind(uid("rf_old"), paymentId, orderId, now),
    ]);

    const run = (await runPayoutsAt(8)).result;
    expect(run.problems ?? []).toEqual([]);
    expect(run.status).toBe("paid");
    expect(await transfersOf(due.subOrderId)).toMatchObject([{ status: "paid" }]);
  });

  it("a ledger transfer with no provider record stops the run: nothing is paid", async () => {
    const vendor = await payoutVendor();
    const ghost = await deliveredOrder(vendor);
    const due = await deliveredOrder(vendor);
    const db = database(env);
    const planted = transferConfirmedPosting(
      {
        currency: "INR",
        // In whole seconds, as every posting's time is (times compare as text).
        at: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
        orderId: ghost.orderId,
        subOrderId: ghost.subOrderId,
        vendorId: vendor.vendorId,
        transferId: uid("po_ghost"),
      },
      { payableMinor: 500, carryForwardMinor: 0 },
    );
    await runBatch(db, postJournal(db, planted));

    const run = (await runPayoutsAt(8)).result;
    expect(run.status).toBe("halted");
    expect(run.problems.join("\n")).toContain(
      `the ledger's transfer for ${ghost.subOrderId} (500) has no provider record`,
    );
    expect(await transfersOf(due.subOrderId)).toHaveLength(0);
    const detail = await api("GET", `/v1/payouts/runs/${run.runId}`, { token: ADMIN });
    expect(detail.body).toMatchObject({ status: "halted", transfers: 0 });
    expect(detail.body.problems.length).toBeGreaterThan(0);
  });
});
