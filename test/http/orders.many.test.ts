import { beforeAll, describe, expect, it } from "vitest";
import { MAX_CHECKOUT_LINES } from "../../src/contracts/orders";
import { ADMIN, api, tokenFor } from "../support/api";
import { newVendor } from "../support/catalog";
import { BENGALURU, checkout, customers, pay, stockedSku } from "../support/marketplace";
import { seedPaidOrder } from "../support/seed";

// D1 binds at most 100 parameters per statement; pages go up to 200. Only more rows than the
// largest page show whether every statement behind a list or a job stays under that limit.
const ORDERS = 230;

/** ORDERS paid single-line orders of one SKU, placed and paid in parallel batches. */
async function paidOrders() {
  const s = await stockedSku({
    warehouses: [{ at: BENGALURU, onHand: ORDERS }],
    priceMinor: 1_000,
    vendor: { hourlyCapacity: 1000 },
  });
  const buyers = await customers(ORDERS);
  const ids: string[] = [];
  for (let i = 0; i < buyers.length; i += 50) {
    const batch = buyers.slice(i, i + 50);
    const placed = await Promise.all(batch.map((b) => checkout(b.token, [{ skuId: s.skuId, qty: 1 }])));
    for (const p of placed) expect(p.status).toBe(201);
    const paid = await Promise.all(placed.map((p, j) => pay(batch[j]!.token, p.body.payment.id)));
    for (const p of paid) expect(p.body.status).toBe("paid");
    ids.push(...placed.map((p) => p.body.order.id as string));
  }
  return { ...s, ids };
}

describe("lists and jobs over more rows than one statement may bind", () => {
  let scene: Awaited<ReturnType<typeof paidOrders>>;
  beforeAll(async () => {
    scene = await paidOrders();
  }, 300_000);

  it("lists a full page of 200 orders and continues on the next page without gaps", async () => {
    const s = scene;
    const ops = await tokenFor("ops");
    const first = await api("GET", `/v1/orders?vendorId=${s.vendorId}&limit=200`, { token: ops });
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(200);
    for (const o of first.body.items) expect(o.subOrders).toHaveLength(1);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await api(
      "GET",
      `/v1/orders?vendorId=${s.vendorId}&limit=200&cursor=${encodeURIComponent(first.body.nextCursor)}`,
      { token: ops },
    );
    expect(second.status).toBe(200);
    expect(second.body.nextCursor).toBeNull();
    const listed = [...first.body.items, ...second.body.items].map((o: { id: string }) => o.id);
    expect(new Set(listed).size).toBe(ORDERS);
    expect([...listed].sort()).toEqual([...s.ids].sort());
  });

  it("audits more than 200 paid orders and reports them clean", async () => {
    const audit = await api("POST", "/v1/admin/jobs/audit-invariants/run", { token: ADMIN, body: {} });
    expect(audit.status).toBe(200);
    expect(audit.body.result.ordersChecked).toBeGreaterThanOrEqual(200);
    expect(audit.body.result.violations).toEqual([]);
  });
});

describe("an order split among as many vendors as a cart may hold", () => {
  it("moves one vendor's sub-order and keeps the parent's status derived", async () => {
    const vendors = await Promise.all(Array.from({ length: MAX_CHECKOUT_LINES }, () => newVendor()));
    const [shopper] = await customers(1);
    const seeded = await seedPaidOrder(
      shopper!.customerId,
      vendors.map((v) => v.id as string),
    );
    const first = seeded.subOrderIds[0]!;
    const confirmed = await api("POST", `/v1/sub-orders/${first}/confirm`, { token: ADMIN });
    expect(confirmed.status).toBe(200);
    const order = await api("GET", `/v1/orders/${seeded.orderId}`, { token: ADMIN });
    expect(order.body.status).toBe("paid");
    expect(order.body.subOrders.find((s: { id: string }) => s.id === first).status).toBe("confirmed");
  });
});
