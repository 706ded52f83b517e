import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { database, runBatch } from "../../src/db/client";
import { opsAlertsPage, queueOpsAlert } from "../../src/db/ops-alerts";
import { applyRefundFailure } from "../../src/money/refund-failures";
import { api, newCustomer, tokenFor, uid } from "../support/api";
import { BENGALURU, stockedSku } from "../support/marketplace";
import { seedPaidOrders } from "../support/seed-orders";

type Alert = { id: string; template: string; text: string; params: Record<string, unknown>; createdAt: string };

async function allAlerts(token: string, limit: number): Promise<{ items: Alert[]; pages: number }> {
  const items: Alert[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const q: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
    const r = await api("GET", `/v1/ops-alerts?limit=${limit}${q}`, { token });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    items.push(...r.body.items);
    cursor = r.body.nextCursor;
    pages += 1;
  } while (cursor);
  return { items, pages };
}

describe("GET /v1/ops-alerts", () => {
  it("lists the alert a refund failure wrote, with its text and params, and none of the shoppers' messages", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 5 }] });
    const [order] = await seedPaidOrders(s.skuId, 1);
    const payment = await env.DB.prepare("select id from payments where order_id = ?")
      .bind(order!.orderId)
      .first<{ id: string }>();
    const providerRefundId = uid("re_");
    // A refund made from the provider's dashboard fails: nothing here to reopen, so ops must act.
    const failed = await applyRefundFailure(env, {
      paymentId: payment!.id,
      providerRefundId,
      reason: "lost_or_stolen_card",
      at: new Date(),
    });
    expect(failed).toEqual({ ok: true, applied: true });

    // A shopper's message about the same order, written after it: a notification, not an alert.
    await env.DB.prepare(
      `insert into notifications (id, order_id, thread_key, channel, recipient, template, priority, payload, dedupe_key, created_at)
       values (?, ?, ?, 'whatsapp', '+919800000000', 'order_confirmed', 0, '{"text":"Your order is confirmed"}', ?, ?)`,
    )
      .bind(
        uid("ntf_"),
        order!.orderId,
        `order:${order!.orderId}`,
        uid("shopper-msg:"),
        new Date(Date.now() + 5_000).toISOString(),
      )
      .run();

    const ops = await tokenFor("ops");
    const r = await api("GET", "/v1/ops-alerts?limit=5", { token: ops });
    expect(r.status).toBe(200);
    const alert = (r.body.items as Alert[]).find((a) => a.params.providerRefundId === providerRefundId);
    expect(alert).toMatchObject({
      template: "refund_failed_unrecorded",
      params: { orderId: order!.orderId, providerRefundId, reason: "lost_or_stolen_card" },
    });
    expect(alert!.text).toContain(order!.orderId);
    expect(alert!.id).toMatch(/^ntf_/);
    // The shoppers' messages (this order's confirmation among them) are notifications too, not alerts.
    const all = await allAlerts(await tokenFor("admin"), 200);
    expect(all.items.map((a) => a.template)).toEqual(["refund_failed_unrecorded"]);
  });

  it("pages over more alerts than D1 binds in one statement, newest first, each once", async () => {
    const batch = uid("b");
    const base = Date.parse("2031-01-01T00:00:00Z");
    // 130 alerts, two to a second, so pages break between alerts of the same time (ids break ties).
    const statements = Array.from({ length: 130 }, (_, i) =>
      queueOpsAlert(database(env), {
        template: "payout_run_halted",
        dedupeKey: `test-alert:${batch}:${i}`,
        text: `Alert ${i}`,
        params: { batch, seq: i },
        at: new Date(base + Math.floor(i / 2) * 1000).toISOString().replace(".000Z", "Z"),
      }),
    );
    await runBatch(database(env), statements);

    const { items, pages } = await allAlerts(await tokenFor("ops"), 40);
    const mine = items.filter((a) => a.params.batch === batch);
    expect(mine).toHaveLength(130);
    expect(new Set(mine.map((a) => a.id)).size).toBe(130);
    expect(pages).toBeGreaterThanOrEqual(4);
    // Newest first across the whole list.
    const keys = items.map((a) => `${a.createdAt} ${a.id}`);
    expect(keys).toEqual([...keys].sort().reverse());
    expect(mine[0]!.params.seq).toBeGreaterThanOrEqual(128);
  });

  it("answers 403 to a vendor and a customer, 422 to a cursor it did not issue", async () => {
    const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 1 }] });
    const vendor = await tokenFor("vendor", { vendorId: s.vendorId });
    const shopper = await newCustomer();
    expect((await api("GET", "/v1/ops-alerts", { token: vendor })).status).toBe(403);
    expect((await api("GET", "/v1/ops-alerts", { token: shopper.token })).status).toBe(403);
    const bad = await api("GET", "/v1/ops-alerts?cursor=nope", { token: await tokenFor("admin") });
    expect(bad.status).toBe(422);
    expect(bad.headers.get("content-type")).toContain("application/problem+json");
  });

  it("reads a page from the alerts' own index, never every notification sorted", async () => {
    for (const after of [undefined, { key: "2031-01-01T00:00:00Z", id: "ntf_1" }]) {
      const q = opsAlertsPage(database(env), { after, limit: 20 }).toSQL();
      const { results } = await env.DB.prepare(`explain query plan ${q.sql}`)
        .bind(...q.params)
        .all<{ detail: string }>();
      const p = results.map((r) => r.detail).join("\n");
      expect(p).toContain("notifications_ops_alerts");
      expect(p).not.toContain("USE TEMP B-TREE");
      expect(p).not.toMatch(/SCAN notifications\b(?! USING)/);
    }
  });
});
