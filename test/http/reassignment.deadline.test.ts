import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, api, uid } from "../support/api";
import { paidMergeableOrder, paidReassignableOrder } from "./routing.fixtures";

const reassign = (subOrderId: string, body: unknown) =>
  api("POST", `/v1/sub-orders/${subOrderId}/reassign`, {
    token: ADMIN,
    body,
    headers: { "Idempotency-Key": uid("ra-") },
  });

/** Its deadline ten minutes off and its nudge sent, as a sub-order near breach stands. */
async function nearBreach(subOrderId: string) {
  const soon = new Date(Date.now() + 10 * 60_000).toISOString().replace(/\.\d{3}Z$/, "Z");
  await env.DB.prepare("update sub_orders set sla_dispatch_by = ?, nudged_at = ? where id = ?")
    .bind(soon, new Date().toISOString(), subOrderId)
    .run();
}

async function deadlineOf(subOrderId: string) {
  const row = await env.DB.prepare(
    `select s.sla_dispatch_by as dispatchBy, s.nudged_at as nudgedAt, v.dispatch_sla_hours as slaHours
     from sub_orders s join vendors v on v.id = s.vendor_id where s.id = ?`,
  )
    .bind(subOrderId)
    .first<{ dispatchBy: string; nudgedAt: string | null; slaHours: number }>();
  return row!;
}

/** At least a full SLA from the move: the lines that moved in are packed once their stock has followed. */
function expectFullSla(d: { dispatchBy: string; nudgedAt: string | null; slaHours: number }, movedAt: number) {
  expect(Date.parse(d.dispatchBy)).toBeGreaterThanOrEqual(movedAt - 1000 + d.slaHours * 3_600_000);
  expect(d.nudgedAt).toBeNull();
}

describe("a reassignment's deadline", () => {
  it("gives a sub-order whose lines moved to another of its warehouses a full SLA again", async () => {
    const { a, sub } = await paidReassignableOrder(5, 2);
    await nearBreach(sub.id);
    const movedAt = Date.now();
    const r = await reassign(sub.id, { target: { warehouseId: a.warehouseIds[1] }, reason: "shelf flooded" });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expectFullSla(await deadlineOf(sub.id), movedAt);
  });

  it("gives the sub-order lines merge into a full SLA, not what was left of its own", async () => {
    const { subA, subB, b } = await paidMergeableOrder(2);
    await nearBreach(subB.id);
    const movedAt = Date.now();
    const r = await reassign(subA.id, {
      lines: [{ lineId: subA.lines[0].id, qty: 1 }],
      target: { vendorId: b.vendorId },
      reason: "split the load",
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expectFullSla(await deadlineOf(subB.id), movedAt);
  });

  it("keeps a deadline further off than a full SLA", async () => {
    const { a, sub } = await paidReassignableOrder(5, 2);
    const far = "2099-01-01T00:00:00Z";
    await env.DB.prepare("update sub_orders set sla_dispatch_by = ? where id = ?").bind(far, sub.id).run();
    const r = await reassign(sub.id, { target: { warehouseId: a.warehouseIds[1] }, reason: "shelf flooded" });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect((await deadlineOf(sub.id)).dispatchBy).toBe(far);
  });
});
