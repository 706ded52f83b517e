import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, tokenFor, uid } from "../support/api";
import { BENGALURU, packedSubOrder, stockedSku, stockOf } from "../support/marketplace";

/** `n` paid sub-orders of one vendor, each packed and ready to dispatch. */
async function packedSubOrders(n: number) {
  const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 10 }] });
  const vendor = await tokenFor("vendor", { vendorId: s.vendorId });
  const subs: string[] = [];
  for (let i = 0; i < n; i++) {
    const sub = await packedSubOrder(s.skuId, vendor);
    subs.push(sub);
  }
  const dispatch = (sub: string, body: { carrier: string; awb: string }) =>
    api("POST", `/v1/sub-orders/${sub}/dispatch`, { token: vendor, body });
  return { skuId: s.skuId, subs, dispatch };
}

const vendorOf = async (id: string) =>
  (await env.DB.prepare("select vendor_id as v from sub_orders where id = ?").bind(id).first<{ v: string }>())?.v;

const row = (id: string) =>
  env.DB.prepare("select status, carrier, awb from sub_orders where id = ?")
    .bind(id)
    .first<{ status: string; carrier: string | null; awb: string | null }>();

describe("an AWB names one shipment", () => {
  it("refuses a dispatch with an AWB another live sub-order of that carrier has, and changes nothing", async () => {
    const { skuId, subs, dispatch } = await packedSubOrders(3);
    const [first, second, third] = subs as [string, string, string];
    const awb = uid("AWB-").toUpperCase();
    expect((await dispatch(first, { carrier: "generic", awb })).status).toBe(200);
    const before = await stockOf(skuId);

    const taken = await dispatch(second, { carrier: "generic", awb });
    expect(taken.status).toBe(409);
    expect(taken.headers.get("content-type")).toContain("application/problem+json");
    expect(taken.body).toMatchObject({ code: "AWB_IN_USE", status: 409 });
    expect(taken.body.detail).toContain(awb);
    expect(await row(second)).toEqual({ status: "packed", carrier: null, awb: null });
    expect(await stockOf(skuId)).toEqual(before);
    const events = await env.DB.prepare("select count(*) as n from order_events where sub_order_id = ? and type = ?")
      .bind(second, "sub_order.dispatched")
      .first<{ n: number }>();
    expect(events?.n).toBe(0);

    // The same number with another carrier is another shipment; repeating one's own dispatch is fine.
    expect((await dispatch(second, { carrier: "delhivery", awb: "1234567890123" })).status).toBe(200);
    expect((await dispatch(first, { carrier: "generic", awb })).status).toBe(200);

    // A cancelled sub-order no longer holds its AWB.
    await env.DB.prepare("update sub_orders set status = 'cancelled' where id = ?").bind(first).run();
    expect((await dispatch(third, { carrier: "generic", awb })).status).toBe(200);
    expect(await row(third)).toMatchObject({ status: "dispatched", awb });
  });

  it("gives an AWB to one of two sub-orders dispatched with it at the same moment", async () => {
    const { subs, dispatch } = await packedSubOrders(2);
    const awb = uid("AWB-").toUpperCase();
    const answers = await Promise.all(subs.map((sub) => dispatch(sub, { carrier: "generic", awb })));
    expect(answers.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(answers.find((r) => r.status === 409)!.body.code).toBe("AWB_IN_USE");
    const live = await env.DB.prepare("select count(*) as n from sub_orders where carrier = 'generic' and awb = ?")
      .bind(awb)
      .first<{ n: number }>();
    expect(live?.n).toBe(1);
  });

  it("leaves the loser of a race for one AWB as it was: its units in the warehouse, still cancellable", async () => {
    for (let round = 0; round < 3; round++) {
      const { skuId, subs, dispatch } = await packedSubOrders(2);
      const awb = uid("AWB-").toUpperCase();
      const answers = await Promise.all(subs.map((sub) => dispatch(sub, { carrier: "generic", awb })));
      expect(answers.map((r) => r.status).sort()).toEqual([200, 409]);
      const loser = subs[answers.findIndex((r) => r.status === 409)]!;
      expect(await row(loser)).toEqual({ status: "packed", carrier: null, awb: null });
      // One unit shipped (the winner's), the loser's still committed.
      expect((await stockOf(skuId)).totals).toMatchObject({ onHand: 9, committed: 1 });
      const cancelled = await api("POST", `/v1/sub-orders/${loser}/cancel`, {
        token: await tokenFor("vendor", { vendorId: (await vendorOf(loser))! }),
        body: { reason: "label lost" },
      });
      expect(cancelled.status).toBe(200);
      expect((await stockOf(skuId)).totals).toMatchObject({ onHand: 9, committed: 0, available: 9 });
    }
  });

  it("a dispatch that claimed its AWB and stopped before shipping: a cancel leaves no AWB behind", async () => {
    const { skuId, subs, dispatch } = await packedSubOrders(2);
    const [stopped, next] = subs as [string, string];
    const awb = uid("AWB-").toUpperCase();
    // What a dispatch leaves when its Worker ends between the claim and the stock objects.
    await env.DB.prepare("update sub_orders set carrier = 'generic', awb = ? where id = ?").bind(awb, stopped).run();
    expect((await dispatch(next, { carrier: "generic", awb })).body.code).toBe("AWB_IN_USE");
    const vendor = await tokenFor("vendor", { vendorId: (await vendorOf(stopped))! });
    const cancelled = await api("POST", `/v1/sub-orders/${stopped}/cancel`, {
      token: vendor,
      body: { reason: "no stock" },
    });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: "cancelled", carrier: null, awb: null });
    expect((await stockOf(skuId)).totals).toMatchObject({ onHand: 10, committed: 1 });
    expect((await dispatch(next, { carrier: "generic", awb })).status).toBe(200);
  });

  it("answers a dispatch again with another AWB as a conflict, not as the shipment recorded", async () => {
    const { subs, dispatch } = await packedSubOrders(2);
    const [one, two] = subs as [string, string];
    const first = uid("AWB-").toUpperCase();
    const typo = uid("AWB-").toUpperCase();
    expect((await dispatch(one, { carrier: "generic", awb: first })).status).toBe(200);
    const again = await dispatch(one, { carrier: "generic", awb: typo });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: "CONFLICT" });
    expect(again.body.detail).toContain(first);
    expect((await dispatch(one, { carrier: "delhivery", awb: "1234567890123" })).status).toBe(409);
    expect(await row(one)).toEqual({ status: "dispatched", carrier: "generic", awb: first });
    expect((await dispatch(one, { carrier: "generic", awb: first })).status).toBe(200);

    // Two at once with different AWBs: the one recorded is the one answered 200.
    const awbs = [uid("AWB-").toUpperCase(), uid("AWB-").toUpperCase()];
    const answers = await Promise.all(awbs.map((awb) => dispatch(two, { carrier: "generic", awb })));
    expect(answers.map((r) => r.status).sort()).toEqual([200, 409]);
    const won = answers.findIndex((r) => r.status === 200);
    expect(await row(two)).toEqual({ status: "dispatched", carrier: "generic", awb: awbs[won] });
  });

  it("is a constraint: D1 refuses a second live sub-order with the same carrier and AWB", async () => {
    const { subs } = await packedSubOrders(2);
    const awb = uid("AWB-").toUpperCase();
    const set = (id: string) =>
      env.DB.prepare("update sub_orders set carrier = 'generic', awb = ? where id = ?").bind(awb, id).run();
    await set(subs[0]!);
    await expect(set(subs[1]!)).rejects.toThrow(/UNIQUE constraint failed: sub_orders.carrier, sub_orders.awb/);
  });

  it("the migration refuses to apply while duplicates exist, naming them, and applies once they are fixed", async () => {
    const migration = env.TEST_MIGRATIONS.find((m) => m.name.startsWith("0006_"))!;
    expect(migration.name).toBe("0006_awb_unique.sql");
    const apply = () => env.DB.batch(migration.queries.map((q) => env.DB.prepare(q)));
    const indexes = async () =>
      (
        await env.DB.prepare(
          "select name from sqlite_master where name in ('sub_orders_carrier_awb_live', '_awb_unique_guard')",
        ).all<{ name: string }>()
      ).results.map((r) => r.name);

    const { subs } = await packedSubOrders(3);
    const [a, b, c] = subs as [string, string, string];
    await env.DB.prepare("drop index sub_orders_carrier_awb_live").run();
    const dup = uid("DUP-").toUpperCase();
    const stamp = env.DB.prepare("update sub_orders set carrier = 'generic', awb = ? where id in (?, ?, ?)");
    await stamp.bind(dup, a, b, c).run();
    // Cancelled ones do not count.
    await env.DB.prepare("update sub_orders set status = 'cancelled' where id = ?").bind(c).run();

    const refused = await apply().then(
      () => null,
      (e: Error) => `${e.message} ${String(e.cause ?? "")}`,
    );
    expect(refused).toContain("AWB in use by more than one sub-order that is not cancelled");
    expect(refused).toContain(`generic ${dup}: `);
    expect(refused).toContain(a);
    expect(refused).toContain(b);
    expect(refused).not.toContain(c);
    expect(await indexes()).toEqual([]);

    await env.DB.prepare("update sub_orders set awb = ? where id = ?").bind(`${dup}-B`, b).run();
    await apply();
    expect(await indexes()).toEqual(["sub_orders_carrier_awb_live"]);
  });
});
