import { isoSeconds } from "../domain/time";
import { simulatedPayouts } from "../gateways/simulated-payouts";

/**
 * Fixtures for the payout benchmark (local development only): `count` delivered sub-orders past
 * their hold, spread over `vendors` new vendors with ready simulated payout accounts, each under
 * its own paid parent with a simulated charge and the capture journal checkout's payment would
 * have posted (goods 19,900, a 10% fee, no shipping), written straight into D1.
 */
export async function seedDeliveredSubOrders(env: Env, input: { tag: string; count: number; vendors: number }) {
  const now = isoSeconds(new Date());
  const delivered = isoSeconds(Date.now() - 10 * 86_400_000);
  const customer = `cus_p${input.tag}`;
  await env.DB.prepare("insert into customers (id, name, created_at) values (?, 'Payout bench', ?)")
    .bind(customer, now)
    .run();
  const vendorIds = Array.from({ length: input.vendors }, (_, v) => `ven_p${input.tag}_${v}`);
  for (const id of vendorIds) {
    await env.DB.prepare(
      "insert into vendors (id, name, commission_bps, hourly_capacity, created_at) values (?, ?, 1000, 1000000, ?)",
    )
      .bind(id, `Payout bench ${id}`, now)
      .run();
    const account = await simulatedPayouts(env).accounts.create({ vendorId: id, country: "IN", idempotencyKey: id });
    if (!account.ok) throw new Error(account.message);
    await env.DB.prepare(
      "update vendors set payout_account_id = ?, payouts_enabled = 1, payout_details_submitted = 1 where id = ?",
    )
      .bind(account.value.accountId, id)
      .run();
  }
  const n = "with recursive n(i) as (select 0 union all select i + 1 from n where i < ?1 - 1)";
  const order = "'ord_p' || ?2 || '_' || i";
  const sub = "'sub_p' || ?2 || '_' || i";
  const payment = "'pay_p' || ?2 || '_' || i";
  // A bound number may arrive as REAL: cast, so the id reads `_0`, not `_0.0`.
  const vendor = "'ven_p' || ?2 || '_' || cast(i % ?3 as integer)";
  const bind = (s: D1PreparedStatement) => s.bind(input.count, input.tag, input.vendors, customer, now, delivered);
  const entry = (line: number, account: string, vendorId: string, component: string, amount: number) =>
    bind(
      env.DB.prepare(
        `${n} insert into ledger_entries (journal_id, line, account, vendor_id, sub_order_id, component, amount_minor, currency, order_id, payment_id, refund_id, transfer_id, at)
         select 'payment_captured:' || ${payment}, ${line}, '${account}', ${vendorId}, ${sub}, '${component}', ${amount}, 'INR', ${order}, ${payment}, null, null, ?6 from n`,
      ),
    );
  await env.DB.batch([
    bind(
      env.DB.prepare(
        `${n} insert into orders (id, customer_id, status, payment_status, currency, total_minor, ship_to, ship_lat, ship_lng, hold_id, hold_expires_at, review_held, paid_at, created_at, updated_at)
         select ${order}, ?4, 'delivered', 'paid', 'INR', 19900, '{}', 12.97, 77.59, 'hold_p' || ?2 || '_' || i, ?6, 0, ?6, ?6, ?6 from n`,
      ),
    ),
    bind(
      env.DB.prepare(
        `${n} insert into sub_orders (id, order_id, vendor_id, status, currency, subtotal_minor, shipping_minor, total_minor, commission_bps, commission_minor, delivered_at, created_at, updated_at)
         select ${sub}, ${order}, ${vendor}, 'delivered', 'INR', 19900, 0, 19900, 1000, 1990, ?6, ?6, ?6 from n`,
      ),
    ),
    bind(
      env.DB.prepare(
        `${n} insert into payments (id, order_id, provider, status, amount_minor, refunded_minor, currency, charge_id, created_at, updated_at)
         select ${payment}, ${order}, 'simulated', 'succeeded', 19900, 0, 'INR', 'ch_p' || ?2 || '_' || i, ?6, ?6 from n`,
      ),
    ),
    bind(
      env.DB.prepare(
        `${n} insert into ledger_journals (id, kind, source_id, currency, order_id, payment_id, refund_id, transfer_id, reassignment_id, attempt, at)
         select 'payment_captured:' || ${payment}, 'payment_captured', ${payment}, 'INR', ${order}, ${payment}, null, null, null, 'bench', ?6 from n`,
      ),
    ),
    entry(1, "shopper_payments", "null", "goods", 19_900),
    entry(2, "vendor_payable", vendor, "goods", -19_900),
    entry(3, "vendor_payable", vendor, "fee", 1_990),
    entry(4, "platform_fees", "null", "fee", -1_990),
  ]);
  return { seeded: input.count, vendors: vendorIds.length };
}

/** What the ledger and the transfers hold now, for the benchmark's before and after. */
export async function payoutBenchStats(env: Env) {
  const row = await env.DB.prepare(
    `select (select count(*) from ledger_entries) as ledgerEntries, (select count(*) from ledger_journals) as ledgerJournals,
            (select count(*) from payout_transfers where status = 'paid') as transfersPaid,
            (select count(*) from payout_transfers where status = 'pending') as transfersPending`,
  ).first<{ ledgerEntries: number; ledgerJournals: number; transfersPaid: number; transfersPending: number }>();
  return row ?? { ledgerEntries: 0, ledgerJournals: 0, transfersPaid: 0, transfersPending: 0 };
}
