import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { refitRouting } from "../../src/routing/refit";
import { ADMIN, api, newCustomer } from "../support/api";
import { afterFirstRead } from "../support/bindings";
import { newVendor } from "../support/catalog";
import { outcomeRows } from "../support/routing-decisions";

const HOUR = 3_600_000;
const HAND_SET = {
  distance: 0.6,
  delivery: 0.1,
  speed: 0.1,
  reliability: 0.1,
  cost: 0.1,
  groupTolerance: 0.1,
  costBound: 1,
};

/** The bindings with `meanwhile` run once, right after the re-fit has read the latest weights version. */
const afterWeightsRead = (meanwhile: () => Promise<unknown>) =>
  afterFirstRead(/from "routing_weights" order by/, meanwhile);

describe("an admin setting the weights while the hourly re-fit runs", () => {
  it("keeps the admin's weights: the re-fit learns on top of them rather than writing the older ones back", async () => {
    const before = (await api("GET", "/v1/routing/weights", { token: ADMIN })).body;
    // Dispatches all on time: the vendor's score moves, the weights have nothing to learn from.
    const vendor = await newVendor();
    const shopper = await newCustomer();
    const now = Date.now();
    const rows = Array.from({ length: 5 }, (_, i) => {
      const created = now - (5 * 24 - i) * HOUR;
      return outcomeRows({
        vendorId: vendor.id,
        customerId: shopper.customerId,
        status: "dispatched",
        createdAt: created,
        slaDispatchBy: created + 18 * HOUR,
        slaStartedAt: created,
        dispatchedAt: created + 2 * HOUR,
        scores: { distance: 0.9, delivery: 0.5, speed: 0.6, reliability: 0.8, cost: 1 },
      });
    });
    await env.DB.batch(rows.flat());

    let set: any;
    const adminMeanwhile = afterWeightsRead(async () => {
      set = (await api("PUT", "/v1/routing/weights", { token: ADMIN, body: HAND_SET })).body;
    });
    const run = await refitRouting(adminMeanwhile, new Date(now));
    expect(set.version).toBe(before.version + 1);
    expect(run).toMatchObject({ changed: true, weightsVersion: set.version + 1 });

    const latest = (await api("GET", "/v1/routing/weights", { token: ADMIN })).body;
    expect(latest.version).toBe(set.version + 1);
    expect(latest.weights).toEqual(set.weights);
    expect(latest.changes.vendors.map((v: any) => v.vendorId)).toContain(vendor.id);
    const scores = (await api("GET", "/v1/routing/vendor-scores", { token: ADMIN })).body.items;
    expect(scores.find((s: any) => s.vendorId === vendor.id)).toMatchObject({ weightsVersion: latest.version });
  });
});
