import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { stripeProvider } from "../../src/gateways/stripe";
import { settleIntent, stripeSettings } from "../stripe-fake/control";
import { newCustomer, uid } from "../support/api";
import { LIMITS, meteredJob } from "../support/invocation-budget";
import { seedPaidOrder } from "../support/seed";

// More charges in the period than the run may spend statements on: each is a provider fee to post.
const CHARGES = 120;
const AMOUNT = 20_000;
/** The fake's fee: 2% plus 300 minor units. */
const FEE = 700;

/** A charge made and paid through the official SDK against the fake, with its payment row in D1. */
async function chargedPayment(customerId: string) {
  const { orderId } = await seedPaidOrder(customerId, []);
  const pi = await stripeProvider(stripeSettings()).create({
    orderId,
    customerId,
    amount: { amountMinor: AMOUNT, currency: "INR" },
    idempotencyKey: uid("key"),
  });
  if (!pi.ok) throw new Error(pi.message);
  const settled = await settleIntent(pi.value.id, "succeeded");
  const chargeId = (settled.paymentIntent as unknown as { latest_charge: string }).latest_charge;
  const at = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  await env.DB.prepare(
    `insert into payments (id, order_id, provider, status, amount_minor, currency, charge_id, created_at, updated_at)
     values (?1, ?2, 'stripe', 'succeeded', ?3, 'INR', ?4, ?5, ?5)`,
  )
    .bind(uid("pay_"), orderId, AMOUNT, chargeId, at)
    .run();
}

const posted = async () =>
  (await env.DB.prepare(
    `select count(distinct j.id) as journals, count(e.line) as entries,
       coalesce(sum(case when e.account = 'provider_fees' then e.amount_minor end), 0) as fees
     from ledger_journals j left join ledger_entries e on e.journal_id = j.id where j.kind = 'provider_fee'`,
  ).first<{ journals: number; entries: number; fees: number }>())!;

describe("the payout run's provider fees", () => {
  it("posts every charge's fee of the period once, in a few statements however many charges", async () => {
    const shopper = await newCustomer();
    for (let i = 0; i < CHARGES; i += 20) {
      await Promise.all(Array.from({ length: 20 }, () => chargedPayment(shopper.customerId)));
    }
    // The ledger's first capture opens the period the run reconciles.
    const dayAgo = new Date(Date.now() - 86_400_000).toISOString().replace(/\.\d+Z$/, "Z");
    await env.DB.prepare(
      `insert into ledger_journals (id, kind, source_id, currency, attempt, at)
       values ('payment_captured:pay_opening', 'payment_captured', 'pay_opening', 'INR', 'seed', ?1)`,
    )
      .bind(dayAgo)
      .run();

    // A minute on, so every charge made above falls before the period's end.
    const first = await meteredJob("payouts", new Date(Date.now() + 60_000));
    expect(first.error).toBeUndefined();
    expect(first.spend.queries).toBeLessThan(LIMITS.queries / 5);
    expect(await posted()).toEqual({ journals: CHARGES, entries: 2 * CHARGES, fees: CHARGES * FEE });

    // The next hour's run lists the same charges again and posts nothing twice.
    const again = await meteredJob("payouts", new Date(Date.now() + 3_660_000));
    expect(again.error).toBeUndefined();
    expect(again.spend.queries).toBeLessThan(LIMITS.queries / 5);
    expect(await posted()).toEqual({ journals: CHARGES, entries: 2 * CHARGES, fees: CHARGES * FEE });
  });
});
