import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { OPEN_HOLDS, VENDOR_LOADS } from "../../src/db/checkout-reads";
import { database } from "../../src/db/client";
import { receiptsQuery } from "../../src/db/receipts";
import { consumers } from "../../src/jobs/order-events";

/** SQLite's plan for a statement, one line per step. */
async function plan(sql: string, params: unknown[]): Promise<string> {
  const { results } = await env.DB.prepare(`explain query plan ${sql}`)
    .bind(...params)
    .all<{ detail: string }>();
  return results.map((r) => r.detail).join("\n");
}

// Reads made once per order or per queue delivery read only the rows of their own customer, vendor
// or events, from an index alone, however many orders and receipts the rest of the marketplace holds.
describe("the reads made for every order", () => {
  it("counts a customer's unpaid orders from that customer's entries of a covering index", async () => {
    const p = await plan(OPEN_HOLDS, ["cus_1", "2026-11-27T10:00:00Z"]);
    expect(p).toContain(
      "SEARCH orders USING COVERING INDEX orders_customer_unpaid (customer_id=? AND hold_expires_at>?)",
    );
    expect(p).not.toContain("orders_status_created");
  });

  it("counts a vendor's sub-orders this hour from the index alone", async () => {
    const p = await plan(VENDOR_LOADS, ['["ven_1","ven_2"]', "2026-11-27T10:00:00Z", "2026-11-27T11:00:00Z", "ord_1"]);
    expect(p).toContain(
      "SEARCH sub_orders USING COVERING INDEX sub_orders_vendor_created (vendor_id=? AND created_at>? AND created_at<?)",
    );
  });

  it("finds a delivery's receipts by their primary key, not by reading every receipt kept", async () => {
    const names = consumers.map((c) => c.name);
    const { sql, params } = receiptsQuery(database(env), names, ["1", "2", "3"]).toSQL();
    const p = await plan(sql, params);
    expect(p).toMatch(
      /SEARCH processed_messages USING COVERING INDEX sqlite_autoindex_processed_messages_1 \(consumer=\? AND event_id=\?\)/,
    );
    expect(p).not.toContain("SCAN processed_messages");
  });
});
