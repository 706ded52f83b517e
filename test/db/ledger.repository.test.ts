import { env } from "cloudflare:test";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { database, runBatch } from "../../src/db/client";
import { accountBalances, findJournal, postJournal, postJournals } from "../../src/db/ledger";
import { journal } from "../../src/domain/ledger";
import { providerFeePosting } from "../../src/domain/ledger-payouts";
import { capturePosting, subOrderMoney } from "../../src/domain/ledger-postings";
import { uid } from "../support/api";

const at = "2026-11-27T05:00:00Z";

describe("ledger repository", () => {
  it("posts a journal once however often it is replayed, more entries than one statement binds", async () => {
    const db = database(env);
    const paymentId = uid("pay_");
    const vendorId = uid("v_");
    // 40 sub-orders x 5 entries = 200 entries, well past one statement's 100 bound parameters.
    const subs = Array.from({ length: 40 }, (_, i) => ({
      subOrderId: uid(`sub${i}_`),
      vendorId,
      commissionBps: 1_250,
      goodsMinor: 10_001 + i,
      shippingMinor: i % 3 === 0 ? 0 : 4_900,
    }));
    const j = capturePosting({ currency: "INR", at, orderId: uid("ord_"), paymentId }, subs);
    await runBatch(db, postJournal(db, j));
    await runBatch(db, postJournal(db, j));
    await Promise.all([runBatch(db, postJournal(db, j)), runBatch(db, postJournal(db, j))]);
    const posted = await findJournal(db, "payment_captured", paymentId);
    expect(posted?.entries).toHaveLength(j.entries.length);
    expect(posted?.entries.reduce((n, e) => n + e.amountMinor, 0)).toBe(0);
    expect(subOrderMoney(subs[1]!, posted!.entries)).toMatchObject({
      goodsMinor: 10_002,
      shippingMinor: 4_900,
      feeMinor: 1_250,
    });
    const payable = (await accountBalances(db, { vendorId })).filter((b) => b.account === "vendor_payable");
    const owed = subs.reduce(
      (n, s) => n + s.goodsMinor + s.shippingMinor - Math.floor((s.goodsMinor * 1_250 + 5_000) / 10_000),
      0,
    );
    expect(-payable.reduce((n, b) => n + b.balanceMinor, 0)).toBe(owed);
  });

  it("posts nothing when its guard is false, and nothing at all when the batch fails", async () => {
    const db = database(env);
    const paymentId = uid("pay_");
    const j = journal({ kind: "provider_fee", sourceId: uid("txn_"), currency: "INR", at, paymentId }, [
      { account: "provider_fees", vendorId: null, subOrderId: null, component: "provider_fee", amountMinor: 59 },
      { account: "shopper_payments", vendorId: null, subOrderId: null, component: "provider_fee", amountMinor: -59 },
    ]);
    await runBatch(db, postJournal(db, j, sql`1 = 0`));
    expect(await findJournal(db, "provider_fee", j.sourceId)).toBeUndefined();
    await expect(
      runBatch(db, [...postJournal(db, j), db.run(sql`insert into vendors (id) values (null)`)]),
    ).rejects.toThrow();
    expect(await findJournal(db, "provider_fee", j.sourceId)).toBeUndefined();
  });

  it("posts a period's journals in a few statements however many, each once, the posted ones left as they are", async () => {
    const db = database(env);
    const fees = Array.from({ length: 1_201 }, (_, i) =>
      providerFeePosting(
        { currency: "INR", at, orderId: uid("ord_"), paymentId: uid("pay_"), balanceTransactionId: uid(`txn${i}_`) },
        300 + i,
      ),
    );
    // One already posted, with entries of its own: left as it was.
    await runBatch(db, postJournal(db, fees[7]!));
    const statements = postJournals(db, fees);
    expect(statements).toHaveLength(4);
    await runBatch(db, statements);
    await runBatch(db, postJournals(db, fees));
    const ids = JSON.stringify(fees.map((j) => `provider_fee:${j.sourceId}`));
    const counts = await env.DB.prepare(
      `select count(distinct j.id) as journals, count(e.line) as entries, coalesce(sum(e.amount_minor), 0) as net,
         coalesce(sum(case when e.account = 'provider_fees' then e.amount_minor end), 0) as fees
       from ledger_journals j left join ledger_entries e on e.journal_id = j.id
       where j.id in (select value from json_each(?1))`,
    )
      .bind(ids)
      .first<{ journals: number; entries: number; net: number; fees: number }>();
    expect(counts).toEqual({
      journals: 1_201,
      entries: 2_402,
      net: 0,
      fees: fees.reduce((n, j) => n + j.entries[0]!.amountMinor, 0),
    });
    const one = await findJournal(db, "provider_fee", fees[1_200]!.sourceId);
    expect(one).toMatchObject({ kind: "provider_fee", currency: "INR", at, paymentId: fees[1_200]!.paymentId });
    expect(one?.entries).toEqual(fees[1_200]!.entries);
  });
});
