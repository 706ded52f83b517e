import { env } from "cloudflare:test";
import { drizzle } from "drizzle-orm/d1";
import { describe, expect, it } from "vitest";
import type { Db } from "../../src/db/client";
import * as schema from "../../src/db/schema";
import { listSubOrders } from "../../src/db/sub-orders";

describe("a vendor's work queue by deadline", () => {
  it("reads each page from that vendor's entries of one index, in order, with no sort", async () => {
    const statements: { sql: string; params: unknown[] }[] = [];
    const db = drizzle(env.DB, {
      schema,
      logger: { logQuery: (sql, params) => statements.push({ sql, params }) },
    }) as unknown as Db;
    // The first page, one after a dated row, and one in the tail of rows with no deadline.
    for (const after of [undefined, { key: "due:2026-11-29T10:00:00Z", id: "sub_1" }, { key: "due:", id: "sub_1" }]) {
      const page = await listSubOrders(db, {
        vendorId: "ven_1",
        status: "paid",
        hideHeld: true,
        sort: "slaDispatchBy",
        after,
        limit: 50,
      });
      expect(page).toEqual({ items: [], nextCursor: null });
    }
    // An empty queue: each page past no cursor or a dated one reads the dated rows, then the undated.
    expect(statements).toHaveLength(5);
    for (const s of statements) {
      const { results } = await env.DB.prepare(`explain query plan ${s.sql}`)
        .bind(...s.params)
        .all<{ detail: string }>();
      const plan = results.map((r) => r.detail).join("\n");
      expect(plan).toMatch(/SEARCH sub_orders USING INDEX sub_orders_vendor_status_sla \(vendor_id=\? AND status=\?/);
      expect(plan).not.toContain("TEMP B-TREE");
      expect(plan).not.toMatch(/SCAN sub_orders\b/);
    }
  });
});
