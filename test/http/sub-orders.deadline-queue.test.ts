import { beforeAll, describe, expect, it } from "vitest";
import { ADMIN, api, newCustomer, tokenFor } from "../support/api";
import { newVendor } from "../support/catalog";
import { byDeadline, type QueuedSubOrder, seedQueue } from "../support/seed-queue";

// More than two pages of 50 (the vendor app's page) in one status: after a sale the oldest, nearest
// their deadline, were past the first page and reachable by no one before the SLA watcher
// cancelled them.
const QUEUED = 120;
const BASE = Date.parse("2026-11-20T00:00:00Z");
const at = (ms: number) => new Date(BASE + ms).toISOString().replace(/\.\d+Z$/, "Z");

/** Every page of a list, following nextCursor; the ids in the order served, and the pages' sizes. */
async function allPages(path: string, token: string) {
  const ids: string[] = [];
  const sizes: number[] = [];
  let cursor: string | null = null;
  do {
    const sep = path.includes("?") ? "&" : "?";
    const url: string = cursor ? `${path}${sep}cursor=${encodeURIComponent(cursor)}` : path;
    const r = await api("GET", url, { token });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    ids.push(...r.body.items.map((s: { id: string }) => s.id));
    sizes.push(r.body.items.length);
    cursor = r.body.nextCursor;
    expect(sizes.length).toBeLessThan(50);
  } while (cursor);
  return { ids, sizes };
}

describe("a vendor's work queue by dispatch deadline", () => {
  let vendorId: string;
  let vendor: string;
  let paid: QueuedSubOrder[];
  let confirmed: QueuedSubOrder[];
  let held: QueuedSubOrder[];
  let undated: QueuedSubOrder[];

  beforeAll(async () => {
    vendorId = (await newVendor()).id;
    vendor = await tokenFor("vendor", { vendorId });
    const shopper = await newCustomer();
    // Created oldest first with deadlines in another order (three share each deadline, so ids
    // break ties): newest first and earliest deadline first differ on every page.
    paid = await seedQueue(
      vendorId,
      shopper.customerId,
      Array.from({ length: QUEUED }, (_, i) => ({
        status: "paid",
        createdAt: at(i * 60_000),
        slaDispatchBy: at(((i * 37) % 40) * 3_600_000 + 86_400_000),
      })),
    );
    // Other steps, an order held for review (hidden from its vendor) and unpaid ones with no
    // deadline yet, all with deadlines earlier than any above where they have one.
    confirmed = await seedQueue(
      vendorId,
      shopper.customerId,
      Array.from({ length: 5 }, (_, i) => ({ status: "confirmed", createdAt: at(i), slaDispatchBy: at(i * 1000) })),
    );
    held = await seedQueue(vendorId, shopper.customerId, [
      { status: "paid", createdAt: at(5), slaDispatchBy: at(0), held: true },
    ]);
    undated = await seedQueue(
      vendorId,
      shopper.customerId,
      Array.from({ length: 4 }, (_, i) => ({ status: "pending_payment", createdAt: at(10 + i), slaDispatchBy: null })),
    );
    // Another vendor's queue, due earlier still.
    const other = await newVendor();
    await seedQueue(
      other.id,
      shopper.customerId,
      Array.from({ length: 5 }, (_, i) => ({ status: "paid", createdAt: at(i), slaDispatchBy: at(i) })),
    );
  });

  it("pages the vendor's New tab earliest deadline first, reaching every sub-order exactly once", async () => {
    const { ids, sizes } = await allPages("/v1/sub-orders?status=paid&sort=slaDispatchBy&limit=50", vendor);
    expect(sizes).toEqual([50, 50, 20]);
    expect(new Set(ids).size).toBe(QUEUED);
    expect(ids).toEqual([...paid].sort(byDeadline).map((s) => s.id));
    // The first page holds the earliest deadlines, which newest first had put on the last.
    const first = await api("GET", "/v1/sub-orders?status=paid&sort=slaDispatchBy&limit=50", { token: vendor });
    const deadlines = first.body.items.map((s: { slaDispatchBy: string }) => s.slaDispatchBy);
    expect(deadlines).toEqual([...deadlines].sort());
    expect(deadlines[0]).toBe(at(86_400_000));
  });

  it("keeps the same order at the largest page and at pages of seven across tied deadlines", async () => {
    const large = await allPages("/v1/sub-orders?status=paid&sort=slaDispatchBy&limit=200", vendor);
    expect(large.sizes).toEqual([QUEUED]);
    const small = await allPages("/v1/sub-orders?status=paid&sort=slaDispatchBy&limit=7", vendor);
    expect(small.ids).toEqual(large.ids);
  });

  it("puts sub-orders with no deadline after every dated one, the page crossing between them included", async () => {
    const everything = [...paid, ...confirmed, ...held, ...undated].sort(byDeadline).map((s) => s.id);
    for (const limit of [3, 50, 200]) {
      const { ids } = await allPages(`/v1/sub-orders?vendorId=${vendorId}&sort=slaDispatchBy&limit=${limit}`, ADMIN);
      expect(ids).toEqual(everything);
    }
    const seen = await allPages("/v1/sub-orders?sort=slaDispatchBy&limit=9", vendor);
    expect(seen.ids).toEqual(everything.filter((id) => id !== held[0]!.id));
  });

  it("keeps newest first for callers that do not ask for another order", async () => {
    const { ids } = await allPages("/v1/sub-orders?status=paid&limit=50", vendor);
    const newest = [...paid].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
    expect(ids).toEqual(newest.map((s) => s.id));
  });

  it("refuses a cursor of one order in the other", async () => {
    const newest = await api("GET", "/v1/sub-orders?status=paid&limit=5", { token: vendor });
    const due = await api("GET", "/v1/sub-orders?status=paid&sort=slaDispatchBy&limit=5", { token: vendor });
    const crossed = [
      `/v1/sub-orders?status=paid&sort=slaDispatchBy&cursor=${encodeURIComponent(newest.body.nextCursor)}`,
      `/v1/sub-orders?status=paid&cursor=${encodeURIComponent(due.body.nextCursor)}`,
    ];
    for (const path of crossed) {
      const r = await api("GET", path, { token: vendor });
      expect(r.status).toBe(422);
      expect(r.body.errors).toEqual([expect.objectContaining({ path: "cursor" })]);
    }
    expect((await api("GET", "/v1/sub-orders?sort=deadline", { token: vendor })).status).toBe(422);
  });
});
