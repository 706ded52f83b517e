import { env, SELF } from "cloudflare:test";
import { extractText, getDocumentProxy } from "unpdf";
import { describe, expect, it } from "vitest";
import type { PayoutRun, PayoutTransfer } from "../../src/db/payouts";
import { payoutStatementPdf } from "../../src/exports/payout-statement";
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

async function pdfText(res: Response): Promise<{ text: string; pages: number }> {
  expect(res.headers.get("content-type")).toBe("application/pdf");
  const doc = await getDocumentProxy(new Uint8Array(await res.arrayBuffer()));
  const { text } = await extractText(doc, { mergePages: true });
  return { text, pages: doc.numPages };
}

const rupees = (minor: number) =>
  `₹${new Intl.NumberFormat("en-IN", { minimumFractionDigits: 2 }).format(minor / 100)}`;

describe("a payout statement as PDF", () => {
  it("names the vendor and each sub-order with the net total in ₹, for the vendor and ops; 404 and 403 to others", async () => {
    const mine = await payoutVendor({ priceMinor: 4_250 });
    const other = await payoutVendor();
    const subs = [(await deliveredOrder(mine)).subOrderId, (await deliveredOrder(mine, 2)).subOrderId];
    const run = (await runPayoutsAt(9)).result;
    expect(run.status).toBe("paid");
    const { name } = (await env.DB.prepare("select name from vendors where id = ?")
      .bind(mine.vendorId)
      .first<{ name: string }>())!;
    const { net } = (await env.DB.prepare(
      "select sum(amount_minor) as net from payout_transfers where run_id = ? and vendor_id = ? and status = 'paid'",
    )
      .bind(run.runId, mine.vendorId)
      .first<{ net: number }>())!;
    expect(net).toBeGreaterThan(0);

    const path = `/v1/vendors/${mine.vendorId}/payouts/${run.runId}/statement.pdf`;
    for (const token of [mine.token, ADMIN, await tokenFor("ops")]) {
      const res = await SELF.fetch(`https://oms.test${path}`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-disposition")).toContain(".pdf");
      const { text } = await pdfText(res);
      expect(text).toContain(name);
      expect(text).toContain(mine.vendorId);
      expect(text).toContain(run.runId);
      expect(text).toContain(rupees(net));
      expect(text).toMatch(/Period: sales captured .+ UTC to .+ UTC\./);
      expect(text).toMatch(/As of \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
      for (const sub of subs) expect(text).toContain(sub);
    }
    expect((await api("GET", path, { token: other.token })).status).toBe(404);
    expect((await api("GET", path, { token: (await newCustomer()).token })).status).toBe(403);
    const none = `/v1/vendors/${other.vendorId}/payouts/${run.runId}/statement.pdf`;
    expect((await api("GET", none, { token: other.token })).status).toBe(404);
  });

  it("runs its table onto further pages, the header and totals included", async () => {
    const at = "2026-11-20T09:00:00Z";
    const run = {
      id: "run_many",
      status: "paid",
      currency: "INR",
      periodFrom: "2026-11-13T09:00:00Z",
      periodBefore: at,
      startedAt: at,
    } as PayoutRun;
    const transfers = Array.from({ length: 130 }, (_, i) => ({
      subOrderId: `sub_${String(i).padStart(4, "0")}`,
      payableMinor: 12_345_00,
      carryForwardMinor: 100_00,
      amountMinor: 12_245_00,
      reversedMinor: 0,
      currency: "INR",
      status: "paid",
      confirmedAt: at,
    })) as PayoutTransfer[];
    const pdf = await payoutStatementPdf({
      run,
      vendor: { id: "ven_many", name: "Many Rows Traders" },
      transfers,
      asOf: at,
    });
    const { text, pages } = await pdfText(new Response(pdf, { headers: { "content-type": "application/pdf" } }));
    expect(pages).toBeGreaterThan(1);
    expect(text).toContain("sub_0129");
    expect(text).toContain(rupees(130 * 12_245_00));
    expect(text.match(/Sub-order/g)?.length).toBeGreaterThanOrEqual(pages);
  });
});
