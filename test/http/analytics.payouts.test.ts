import { env, SELF } from "cloudflare:test";
import { parse } from "csv-parse/sync";
import { extractText, getDocumentProxy } from "unpdf";
import { beforeAll, describe, expect, it } from "vitest";
import { localDay } from "../../src/domain/local-day";
import { config } from "../../src/platform/config";
import { api, uid } from "../support/api";
import { balance, deliveredOrder, payoutVendor, runPayoutsAt, transfersOf } from "../support/payouts";

// Payout runs reconcile and pay every vendor in the file's storage at once: this file keeps its own.

const DAY_MS = 86_400_000;
const download = (path: string, token: string) =>
  SELF.fetch(`https://oms.test${path}`, { headers: { authorization: `Bearer ${token}` } });
const inr = (minor: number) => `₹${new Intl.NumberFormat("en-IN", { minimumFractionDigits: 2 }).format(minor / 100)}`;
/** "1234.50" as 123450: the CSV's exact decimals back to minor units. */
const minor = (decimal: string) => Number(decimal.replace(".", ""));

let scene: {
  a: Awaited<ReturnType<typeof payoutVendor>>;
  b: Awaited<ReturnType<typeof payoutVendor>>;
  paidMinor: number;
  heldMinor: number;
  reversedMinor: number;
  paidOn: string;
  query: string;
};

beforeAll(async () => {
  const a = await payoutVendor({ priceMinor: 10_000, commissionBps: 1_000 });
  const b = await payoutVendor({ priceMinor: 7_000 });
  const first = await deliveredOrder(a, 1);
  const second = await deliveredOrder(a, 2);
  await deliveredOrder(b, 1);
  expect((await runPayoutsAt(8)).result).toMatchObject({ status: "paid", transfers: 3 });
  const paid = [...(await transfersOf(first.subOrderId)), ...(await transfersOf(second.subOrderId))];
  expect(paid.map((t) => t.status)).toEqual(["paid", "paid"]);

  // A unit of the second order comes back after its payout: the next run reverses that much of its transfer.
  const returned = await api("POST", `/v1/sub-orders/${second.subOrderId}/return`, {
    token: a.token,
    body: { lines: [{ lineId: second.lineId, qty: 1, restockable: true }], reason: "wrong size" },
    headers: { "Idempotency-Key": uid("ret-") },
  });
  expect(returned.status).toBe(200);
  const reversedMinor = await balance(second.subOrderId, "vendor_payable");
  expect(reversedMinor).toBeGreaterThan(0);

  // A's account stops being ready: the next run holds A's third sub-order back.
  await env.DB.prepare("update vendors set payouts_enabled = 0, payout_disabled_reason = ? where id = ?")
    .bind("requirements.past_due", a.vendorId)
    .run();
  const third = await deliveredOrder(a, 3);
  expect((await runPayoutsAt(9)).result).toMatchObject({ status: "paid", transfers: 0, held: 1 });
  expect(await transfersOf(second.subOrderId)).toMatchObject([{ status: "paid", reversed_minor: reversedMinor }]);
  const zone = config(env).timeZone;
  scene = {
    a,
    b,
    paidMinor: paid.reduce((n, t) => n + t.amount_minor, 0),
    heldMinor: 0 - (await balance(third.subOrderId, "vendor_payable")),
    reversedMinor,
    paidOn: localDay(Date.now() + 8 * DAY_MS, zone),
    query: `from=${localDay(new Date(), zone)}&to=${localDay(Date.now() + 10 * DAY_MS, zone)}`,
  };
});

describe("a vendor's payouts in its analytics report", () => {
  it("shows exactly what was paid and since reversed, on the day the run made the transfers, and what is held back", async () => {
    const { a, paidMinor, heldMinor, reversedMinor, paidOn, query } = scene;
    expect(heldMinor).toBeGreaterThan(0);
    const r = await api("GET", `/v1/analytics/vendors/${a.vendorId}?${query}`, { token: a.token });
    expect(r.status).toBe(200);
    const p = r.body.payouts;
    expect(p.totals).toEqual({
      paidMinor,
      reversedMinor,
      transfers: 2,
      pendingMinor: 0,
      pendingTransfers: 0,
      heldBackMinor: heldMinor,
      heldBackSubOrders: 1,
      lastPaidOn: paidOn,
    });
    expect(p.days.map((d: any) => d.day)).toEqual(r.body.days.map((d: any) => d.day));
    expect(p.days.filter((d: any) => d.paidMinor > 0)).toEqual([
      { day: paidOn, paidMinor, reversedMinor, transfers: 2 },
    ]);
  });

  it("a range before the first payout shows none, and no last payout", async () => {
    const { a } = scene;
    const r = await api("GET", `/v1/analytics/vendors/${a.vendorId}?from=2020-01-01&to=2020-01-31`, {
      token: a.token,
    });
    expect(r.body.payouts.totals).toMatchObject({ paidMinor: 0, transfers: 0, heldBackSubOrders: 0, lastPaidOn: null });
  });

  it("another vendor sees 404, for the report and its export", async () => {
    const { a, b, query } = scene;
    const base = `/v1/analytics/vendors/${a.vendorId}`;
    expect((await api("GET", `${base}?${query}`, { token: b.token })).status).toBe(404);
    for (const format of ["csv", "pdf"])
      expect((await download(`${base}/export?format=${format}&${query}`, b.token)).status).toBe(404);
  });

  it("the CSV parses back to the report's payout days and totals; the PDF shows the payout total", async () => {
    const { a, paidMinor, heldMinor, query } = scene;
    const base = `/v1/analytics/vendors/${a.vendorId}`;
    const json = (await api("GET", `${base}?${query}`, { token: a.token })).body;
    const csv = await download(`${base}/export?format=csv&${query}`, a.token);
    expect(csv.status).toBe(200);
    const rows: Record<string, string>[] = parse(await csv.text(), { columns: true, skip_empty_lines: true });
    expect(rows.map((x) => [x.day, minor(x.paidOut!), minor(x.payoutReversed!)])).toEqual(
      json.payouts.days.map((d: any) => [d.day, d.paidMinor, d.reversedMinor]),
    );
    expect(rows.reduce((n, x) => n + minor(x.paidOut!), 0)).toBe(paidMinor);
    expect(rows.reduce((n, x) => n + minor(x.payoutReversed!), 0)).toBe(scene.reversedMinor);

    const pdf = await download(`${base}/export?format=pdf&${query}`, a.token);
    expect(pdf.headers.get("content-type")).toBe("application/pdf");
    const { text } = await extractText(await getDocumentProxy(new Uint8Array(await pdf.arrayBuffer())), {
      mergePages: true,
    });
    expect(text).toContain("Paid out");
    expect(text).toContain(inr(paidMinor));
    expect(text).toContain(inr(heldMinor));
    expect(text).toContain(json.payouts.totals.lastPaidOn);
  });
});
