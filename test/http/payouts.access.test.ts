import { describe, expect, it } from "vitest";
import { ADMIN, api, newCustomer, tokenFor } from "../support/api";
import { deliveredOrder, payoutVendor, runPayoutsAt } from "../support/payouts";

describe("payout reads: each vendor its own", () => {
  it("a vendor reads its payouts and statements; another vendor's are 404, a customer's 403", async () => {
    const mine = await payoutVendor({ priceMinor: 3_000 });
    const other = await payoutVendor();
    const { subOrderId } = await deliveredOrder(mine);
    const run = (await runPayoutsAt(8)).result;
    expect(run.status).toBe("paid");

    const list = await api("GET", `/v1/vendors/${mine.vendorId}/payouts`, { token: mine.token });
    expect(list.status).toBe(200);
    expect(list.body.items).toMatchObject([{ runId: run.runId, transfers: 1 }]);
    const statement = await api("GET", `/v1/vendors/${mine.vendorId}/payouts/${run.runId}/statement.csv`, {
      token: mine.token,
    });
    expect(statement.status).toBe(200);
    expect(String(statement.body)).toContain(subOrderId);

    for (const path of [
      `/v1/vendors/${mine.vendorId}/payouts`,
      `/v1/vendors/${mine.vendorId}/payouts/${run.runId}/statement.csv`,
    ]) {
      expect((await api("GET", path, { token: other.token })).status).toBe(404);
      const shopper = await newCustomer();
      expect((await api("GET", path, { token: shopper.token })).status).toBe(403);
    }
    // A run that paid the other vendor nothing has no statement for it.
    const none = await api("GET", `/v1/vendors/${other.vendorId}/payouts/${run.runId}/statement.csv`, {
      token: other.token,
    });
    expect(none.status).toBe(404);

    // Runs are for ops and admin only.
    expect((await api("GET", "/v1/payouts/runs", { token: mine.token })).status).toBe(403);
    const ops = await tokenFor("ops");
    const runs = await api("GET", "/v1/payouts/runs", { token: ops });
    expect(runs.status).toBe(200);
    expect(runs.body.items.map((r: { id: string }) => r.id)).toContain(run.runId);
    expect((await api("GET", `/v1/payouts/runs/${run.runId}`, { token: ADMIN })).body.heldBack).toEqual([]);
  });
});
