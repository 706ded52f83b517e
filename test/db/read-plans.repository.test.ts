import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { IDEMPOTENT_RESPONSES, OPEN_HOLDS } from "../../src/db/checkout-reads";
import { database } from "../../src/db/client";
import { notificationsPage, WHATSAPP_SENDS_OF } from "../../src/db/notifications";
import { closedAsUndelivered } from "../../src/db/sub-orders";
import { VENDOR_LOADS } from "../../src/db/vendor-loads";
import { queryPlan } from "../support/query-plan";

// Reads made once per order read only the rows of their own customer or vendor, from an index
// alone, however many orders the rest of the marketplace holds.
describe("the reads made for every order", () => {
  it("finds each checkout's stored answer by its key", async () => {
    const p = await queryPlan(IDEMPOTENT_RESPONSES, [
      JSON.stringify([
        { scope: "customer:cus_1", key: "k1" },
        { scope: "customer:cus_2", key: "k2" },
      ]),
    ]);
    expect(p).toMatch(/SEARCH k USING INDEX sqlite_autoindex_idempotency_keys_1 \(scope=\? AND key=\?\)/);
    expect(p).not.toMatch(/SCAN k\b/);
  });

  it("counts a customer's unpaid orders from that customer's entries of a covering index", async () => {
    const p = await queryPlan(OPEN_HOLDS, [
      JSON.stringify([
        { customerId: "cus_1", now: "2026-11-27T10:00:00Z" },
        { customerId: "cus_2", now: "2026-11-27T10:00:00Z" },
      ]),
    ]);
    expect(p).toContain("SEARCH o USING COVERING INDEX orders_customer_unpaid (customer_id=? AND hold_expires_at>?)");
    expect(p).not.toContain("orders_status_created");
    expect(p).not.toMatch(/SCAN (o|orders)\b/);
  });

  it("reads a vendor's load this hour from its one counted row, and the order's own sub-orders by key", async () => {
    const p = await queryPlan(VENDOR_LOADS, [
      JSON.stringify([
        { vendorIds: ["ven_1", "ven_2"], hour: "2026-11-27T10", orderId: "ord_1" },
        { vendorIds: ["ven_3"], hour: "2026-11-27T10", orderId: null },
      ]),
    ]);
    expect(p).toMatch(
      /SEARCH l USING (PRIMARY KEY|INDEX sqlite_autoindex_vendor_hourly_loads_1) \(vendor_id=\? AND hour=\?\)/,
    );
    expect(p).toMatch(/SEARCH s USING INDEX sub_orders_order_vendor \(order_id=\? AND vendor_id=\?\)/);
    expect(p).not.toContain("sub_orders_vendor_created");
    expect(p).not.toMatch(/SCAN (l|s|sub_orders|vendor_hourly_loads)\b/);
  });
});

describe("WhatsApp's report on a message", () => {
  it("finds the message by its wamid, or its thread's queued one, never reading every WhatsApp message", async () => {
    const p = await queryPlan(WHATSAPP_SENDS_OF, [
      JSON.stringify([["wamid.1", "order:ord_1"]]),
      "2026-11-27T10:00:00Z",
    ]);
    expect(p).toMatch(/USING INDEX notifications_provider_ref \(provider_ref=\?\)/);
    expect(p).toMatch(/USING INDEX notifications_thread_queued \(thread_key=\?\)/);
    expect(p).not.toContain("notifications_attempts");
    expect(p).not.toMatch(/SCAN notifications\b/);
  });
});

describe("ops' list of orders held for review", () => {
  it("reads the held orders from their own index, newest first, not every order", async () => {
    const p = await queryPlan(
      `select * from orders where "orders"."review_held" = 1 and ("orders"."created_at" < ? or ("orders"."created_at" = ? and "orders"."id" < ?))
       order by "orders"."created_at" desc, "orders"."id" desc limit 51`,
      ["2026-11-27T10:00:00Z", "2026-11-27T10:00:00Z", "ord_1"],
    );
    expect(p).toContain("orders_review_held");
    expect(p).not.toContain("TEMP B-TREE");
  });
});

describe("a page of notifications", () => {
  it("reads a shopper's, or everyone's for ops, newest first from an index, never every row sorted", async () => {
    const after = { key: "2026-11-27T10:00:00Z", id: "ntf_1" };
    for (const f of [
      { customerId: "cus_1", after: undefined, limit: 50 },
      { customerId: "cus_1", after, limit: 50 },
      { after: undefined, limit: 50 },
      { status: "failed" as const, after, limit: 50 },
    ]) {
      const q = notificationsPage(database(env), f).toSQL();
      const p = await queryPlan(q.sql, q.params);
      expect(p).toMatch(f.customerId ? /notifications_customer \(customer_id=\?/ : /notifications_created/);
      expect(p).not.toContain("TEMP B-TREE");
      expect(p).not.toMatch(/SCAN notifications$/m);
    }
  });
});

describe("a carrier's event for a parcel closed as undelivered", () => {
  it("finds it by its carrier and AWB, never reading every sub-order", async () => {
    const q = closedAsUndelivered(database(env), "delhivery", "1234567890123").toSQL();
    const p = await queryPlan(q.sql, q.params);
    expect(p).toMatch(/SEARCH sub_orders USING INDEX sub_orders_awb \(carrier=\? AND awb=\?\)/);
    expect(p).not.toMatch(/SCAN sub_orders\b/);
  });
});
