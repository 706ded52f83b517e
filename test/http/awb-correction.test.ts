import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, api, newCustomer, tokenFor, uid } from "../support/api";
import { carrierSays } from "../support/carriers";
import { outboxMessages } from "../support/feeds";
import { BENGALURU, checkout, pay, stockedSku } from "../support/marketplace";

let seq = 0;
/** A Delhivery AWB (13-14 digits) no other test of this file uses. */
const delhiveryAwb = () => `9${String(Date.now() % 1e9).padStart(9, "0")}${String(++seq).padStart(4, "0")}`;

/** One vendor's sub-order of a new shopper's order, paid, confirmed and packed: ready to dispatch. */
async function packed() {
  const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }] });
  const vendor = await tokenFor("vendor", { vendorId: s.vendorId });
  const shopper = await newCustomer();
  const placed = await checkout(shopper.token, [{ skuId: s.skuId, qty: 1 }]);
  const paid = await pay(shopper.token, placed.body.payment.id);
  const sub = paid.body.subOrders[0].id as string;
  const orderId = paid.body.id as string;
  expect((await api("POST", `/v1/sub-orders/${sub}/confirm`, { token: vendor })).status).toBe(200);
  const barcode = (await api("GET", `/v1/sub-orders/${sub}`, { token: vendor })).body.lines[0].barcode;
  expect(
    (await api("POST", `/v1/sub-orders/${sub}/pack`, { token: vendor, body: { scanned: [barcode] } })).status,
  ).toBe(200);
  return { sub, orderId, vendor, vendorId: s.vendorId, shopper: shopper.token };
}

const dispatch = (sub: string, token: string, body: { carrier: string; awb: string }) =>
  api("POST", `/v1/sub-orders/${sub}/dispatch`, { token, body });

async function dispatched(carrier = "delhivery", awb = delhiveryAwb()) {
  const p = await packed();
  const sent = await dispatch(p.sub, p.vendor, { carrier, awb });
  expect(sent.status).toBe(200);
  return { ...p, awb };
}

const correct = (sub: string, token: string, body: unknown, key: string | null = uid("awb-fix-")) =>
  api("POST", `/v1/sub-orders/${sub}/awb`, { token, body, headers: key === null ? {} : { "Idempotency-Key": key } });

const row = (id: string) =>
  env.DB.prepare("select status, carrier, awb from sub_orders where id = ?")
    .bind(id)
    .first<{ status: string; carrier: string | null; awb: string | null }>();

const corrections = async (sub: string) =>
  (
    await env.DB.prepare(
      "select actor_role, actor_id, reason, data from order_events where sub_order_id = ? and type = ?",
    )
      .bind(sub, "sub_order.awb_corrected")
      .all<{ actor_role: string; actor_id: string | null; reason: string | null; data: string }>()
  ).results;

describe("POST /v1/sub-orders/{id}/awb", () => {
  it("frees an AWB typed on the wrong parcel: its real parcel dispatches and gets the carrier's events", async () => {
    const b = await packed();
    const realOfB = delhiveryAwb();
    // Vendor A types B's parcel's AWB.
    const a = await dispatched("delhivery", realOfB);
    const refused = await dispatch(b.sub, b.vendor, { carrier: "delhivery", awb: realOfB });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe("AWB_IN_USE");

    const rightOfA = delhiveryAwb();
    const fixed = await correct(a.sub, a.vendor, { carrier: "delhivery", awb: rightOfA, reason: "typo" });
    expect(fixed.status).toBe(200);
    expect(fixed.body).toMatchObject({ id: a.sub, status: "dispatched", carrier: "delhivery", awb: rightOfA });
    const event = fixed.body.timeline.find((e: any) => e.type === "sub_order.awb_corrected");
    expect(event).toMatchObject({ subOrderId: a.sub, actor: { role: "vendor", id: a.vendorId } });
    expect(event.reason).toContain(realOfB);
    expect(event.reason).toContain(rightOfA);
    expect(event.reason).toContain("typo");
    const [recorded] = await corrections(a.sub);
    expect(JSON.parse(recorded!.data)).toMatchObject({
      carrier: "delhivery",
      awb: rightOfA,
      previousCarrier: "delhivery",
      previousAwb: realOfB,
      reason: "typo",
    });

    // The feeds hear of it: an outbox row naming the vendor and the new tracking.
    const announced = (await outboxMessages(a.orderId)).filter((m) => m.type === "sub_order.awb_corrected");
    expect(announced).toHaveLength(1);
    expect(announced[0]!.payload).toMatchObject({
      orderId: a.orderId,
      subOrderId: a.sub,
      vendorId: a.vendorId,
      carrier: "delhivery",
      carrierName: "Delhivery",
      awb: rightOfA,
      previousAwb: realOfB,
    });
    // And the shopper's order shows the new tracking.
    const mine = await api("GET", `/v1/orders/${a.orderId}`, { token: a.shopper });
    expect(mine.status).toBe(200);
    expect(mine.body.subOrders[0]).toMatchObject({ carrier: "delhivery", awb: rightOfA });
    expect(mine.body.timeline.map((e: any) => e.type)).toContain("sub_order.awb_corrected");

    // B dispatches with its own AWB now, and the carrier's events for each parcel reach its own sub-order.
    expect((await dispatch(b.sub, b.vendor, { carrier: "delhivery", awb: realOfB })).status).toBe(200);
    await carrierSays(realOfB, "delivered");
    expect(await row(b.sub)).toEqual({ status: "delivered", carrier: "delhivery", awb: realOfB });
    expect(await row(a.sub)).toEqual({ status: "dispatched", carrier: "delhivery", awb: rightOfA });
    await carrierSays(rightOfA, "delivered");
    expect((await row(a.sub))?.status).toBe("delivered");
  });

  it("lets ops and admins correct any vendor's, to another carrier too; another vendor gets 404", async () => {
    const a = await dispatched();
    const other = await packed();
    const before = await row(a.sub);
    const foreign = await correct(a.sub, other.vendor, { carrier: "delhivery", awb: delhiveryAwb() });
    expect(foreign.status).toBe(404);
    expect(foreign.headers.get("content-type")).toContain("application/problem+json");
    const shopper = await correct(a.sub, a.shopper, { carrier: "delhivery", awb: delhiveryAwb() });
    expect([403, 404]).toContain(shopper.status);
    expect(await row(a.sub)).toEqual(before);

    const ops = await tokenFor("ops");
    const byOps = await correct(a.sub, ops, { carrier: "bluedart", awb: "12345678901" });
    expect(byOps.status).toBe(200);
    expect(byOps.body).toMatchObject({ carrier: "bluedart", awb: "12345678901" });
    const byAdmin = await correct(a.sub, ADMIN, { carrier: "generic", awb: uid("FIX-") });
    expect(byAdmin.status).toBe(200);
    expect((await corrections(a.sub)).map((e) => e.actor_role)).toEqual(["ops", "admin"]);
    // The first AWB is free again.
    expect((await dispatch(other.sub, other.vendor, { carrier: "delhivery", awb: a.awb })).status).toBe(200);
  });

  it("refuses an AWB another live sub-order holds, and changes nothing", async () => {
    const a = await dispatched();
    const b = await dispatched();
    const taken = await correct(a.sub, a.vendor, { carrier: "delhivery", awb: b.awb });
    expect(taken.status).toBe(409);
    expect(taken.headers.get("content-type")).toContain("application/problem+json");
    expect(taken.body.code).toBe("AWB_IN_USE");
    expect(await row(a.sub)).toEqual({ status: "dispatched", carrier: "delhivery", awb: a.awb });
    expect(await corrections(a.sub)).toHaveLength(0);
    expect((await outboxMessages(a.orderId)).map((m) => m.type)).not.toContain("sub_order.awb_corrected");

    // The same number with another carrier is another shipment.
    expect((await correct(a.sub, a.vendor, { carrier: "trackon", awb: b.awb.slice(0, 12) })).status).toBe(200);
  });

  it("takes only a dispatched sub-order: packed, delivered and cancelled ones are 409", async () => {
    const p = await packed();
    const early = await correct(p.sub, p.vendor, { carrier: "delhivery", awb: delhiveryAwb() });
    expect(early.status).toBe(409);
    expect(early.body).toMatchObject({ code: "ILLEGAL_TRANSITION", allowed: ["dispatch", "cancel"] });
    expect(await row(p.sub)).toEqual({ status: "packed", carrier: null, awb: null });

    const d = await dispatched();
    expect((await api("POST", `/v1/sub-orders/${d.sub}/deliver`, { token: d.vendor })).status).toBe(200);
    const late = await correct(d.sub, d.vendor, { carrier: "delhivery", awb: delhiveryAwb() });
    expect(late.status).toBe(409);
    expect(late.body.code).toBe("ILLEGAL_TRANSITION");
    expect(await row(d.sub)).toEqual({ status: "delivered", carrier: "delhivery", awb: d.awb });

    const c = await packed();
    expect(
      (await api("POST", `/v1/sub-orders/${c.sub}/cancel`, { token: c.vendor, body: { reason: "gone" } })).status,
    ).toBe(200);
    const gone = await correct(c.sub, ADMIN, { carrier: "delhivery", awb: delhiveryAwb() });
    expect(gone.status).toBe(409);
    expect(gone.body.code).toBe("ILLEGAL_TRANSITION");
    for (const s of [p.sub, d.sub, c.sub]) expect(await corrections(s)).toHaveLength(0);
  });

  it("requires an Idempotency-Key; a replay answers the same and records nothing twice", async () => {
    const a = await dispatched();
    const awb = delhiveryAwb();
    const missing = await correct(a.sub, a.vendor, { carrier: "delhivery", awb }, null);
    expect(missing.status).toBe(400);
    expect(missing.body.code).toBe("IDEMPOTENCY_KEY_REQUIRED");
    expect((await row(a.sub))?.awb).toBe(a.awb);

    const key = uid("awb-key-");
    const first = await correct(a.sub, a.vendor, { carrier: "delhivery", awb }, key);
    expect(first.status).toBe(200);
    const again = await correct(a.sub, a.vendor, { carrier: "delhivery", awb }, key);
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body).toEqual(first.body);
    const reused = await correct(a.sub, a.vendor, { carrier: "delhivery", awb: delhiveryAwb() }, key);
    expect(reused.status).toBe(422);
    expect(reused.body.code).toBe("IDEMPOTENCY_KEY_REUSED");
    // The same correction under a new key is a repeat: nothing new is recorded.
    expect((await correct(a.sub, a.vendor, { carrier: "delhivery", awb })).status).toBe(200);
    expect(await corrections(a.sub)).toHaveLength(1);
    expect(await row(a.sub)).toEqual({ status: "dispatched", carrier: "delhivery", awb });
  });

  it("records one correction when the same one is sent twice at once under different keys", async () => {
    const a = await dispatched();
    const awb = delhiveryAwb();
    const answers = await Promise.all([0, 1].map(() => correct(a.sub, a.vendor, { carrier: "delhivery", awb })));
    expect(answers.map((r) => r.status)).toEqual([200, 200]);
    expect(await corrections(a.sub)).toHaveLength(1);
    expect((await outboxMessages(a.orderId)).filter((m) => m.type === "sub_order.awb_corrected")).toHaveLength(1);
  });

  it("gives an AWB to one of a correction and a dispatch racing for it", async () => {
    for (let round = 0; round < 3; round++) {
      const a = await dispatched();
      const b = await packed();
      const awb = delhiveryAwb();
      const [fixed, sent] = await Promise.all([
        correct(a.sub, a.vendor, { carrier: "delhivery", awb }),
        dispatch(b.sub, b.vendor, { carrier: "delhivery", awb }),
      ]);
      expect([fixed.status, sent.status].sort()).toEqual([200, 409]);
      expect((fixed.status === 409 ? fixed : sent).body.code).toBe("AWB_IN_USE");
      const live = await env.DB.prepare(
        "select count(*) as n from sub_orders where carrier = 'delhivery' and awb = ? and status <> 'cancelled'",
      )
        .bind(awb)
        .first<{ n: number }>();
      expect(live?.n).toBe(1);
      expect(await corrections(a.sub)).toHaveLength(fixed.status === 200 ? 1 : 0);
      expect((await row(a.sub))?.awb).toBe(fixed.status === 200 ? awb : a.awb);
    }
  });

  it("refuses bad input with 4xx problems and changes nothing", async () => {
    const a = await dispatched();
    const bad: [unknown, number, string][] = [
      [{ carrier: "delhivery", awb: "ABC" }, 422, "awb"],
      [{ carrier: "nope", awb: delhiveryAwb() }, 422, "carrier"],
      [{ carrier: "delhivery" }, 422, "awb"],
      [{ carrier: "delhivery", awb: delhiveryAwb(), extra: 1 }, 422, ""],
      [{ carrier: "delhivery", awb: "9".repeat(41) }, 422, "awb"],
      ["not an object", 422, ""],
    ];
    for (const [body, status, path] of bad) {
      const r = await correct(a.sub, a.vendor, body);
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect(r.headers.get("content-type")).toContain("application/problem+json");
      if (path) expect(r.body.errors.map((e: any) => e.path)).toContain(path);
    }
    const unknown = await correct("sub_nope", ADMIN, { carrier: "delhivery", awb: delhiveryAwb() });
    expect(unknown.status).toBe(404);
    expect(await row(a.sub)).toEqual({ status: "dispatched", carrier: "delhivery", awb: a.awb });
    expect(await corrections(a.sub)).toHaveLength(0);
  });
});
