import { describe, expect, it } from "vitest";
import { ADMIN, api, newCustomer } from "../support/api";
import { newVendor } from "../support/catalog";

const tick = (now: string) => api("POST", "/v1/admin/jobs/sla-watcher/run", { token: ADMIN, body: { now } });

async function seeded(
  tag: string,
  count: number,
  nudgeEvery: number,
  at: string,
  vendor: Record<string, unknown> = {},
) {
  const [customer, v] = await Promise.all([newCustomer(), newVendor(vendor)]);
  const r = await api("POST", "/v1/bench/sla", {
    token: ADMIN,
    body: { tag, count, nudgeEvery, at, customerId: customer.customerId, vendorId: v.id },
  });
  expect(r.status).toBe(201);
  return r.body;
}

describe("the SLA watcher at scale", () => {
  it("reaches every sub-order in its lead however many wait, nudging each once", async () => {
    const at = "2031-03-01T10:00:00Z";
    const mix = await seeded("scalea", 1_500, 1, at);
    expect(mix).toEqual({ seeded: 1_500, inNudgeLead: 1_500, notYetDue: 0 });
    const nudged: number[] = [];
    for (let i = 0; i < 4; i++) nudged.push((await tick(at)).body.result.nudged);
    expect(nudged).toEqual([500, 500, 500, 0]);
    const audit = await api("GET", `/v1/bench/sla/scalea?at=${at}`, { token: ADMIN });
    expect(audit.body.audit).toMatchObject({ seededNudged: 1_500, seededOpen: 1_500, nudgedTwice: 0 });
  });

  it("searches its partial indexes, for breaches and for nudges", async () => {
    const at = "2031-04-01T10:00:00Z";
    await seeded("scaleb", 2_000, 50, at);
    const { plans } = (await api("GET", `/v1/bench/sla/scaleb?at=${at}`, { token: ADMIN })).body;
    expect(plans.breached.join("\n")).toMatch(
      /SEARCH s USING INDEX sub_orders_sla_open \(sla_dispatch_by>\? AND sla_dispatch_by<\?\)/,
    );
    expect(plans.toNudge.join("\n")).toMatch(
      /SEARCH s USING INDEX sub_orders_sla_unnudged \(sla_dispatch_by>\? AND sla_dispatch_by<\?\)/,
    );
  });

  it("honours each vendor's own lead: a short-lead vendor's waiting rows never crowd out the rest", async () => {
    const at = "2031-05-01T10:00:00Z";
    // 600 sub-orders 1 to 5 hours out at a vendor that wants no nudge ahead: none is due for one.
    await seeded("scalec", 600, 1, at, { nudgeLeadHours: 0 });
    const later = await seeded("scaled", 50, 1, at);
    expect(later.inNudgeLead).toBe(50);
    const first = (await tick(at)).body.result;
    expect(first.nudged).toBe(50);
    const audit = (await api("GET", `/v1/bench/sla/scalec?at=${at}`, { token: ADMIN })).body.audit;
    expect(audit.seededNudged).toBe(0);
  });

  it("is a development-only, admin-only tool", async () => {
    const shopper = await newCustomer();
    const r = await api("GET", "/v1/bench/sla/scalea?at=2031-03-01T10:00:00Z", { token: shopper.token });
    expect(r.status).toBe(403);
    const bad = await api("POST", "/v1/bench/sla", { token: ADMIN, body: { tag: "Bad Tag", count: 0 } });
    expect(bad.status).toBe(422);
  });
});
