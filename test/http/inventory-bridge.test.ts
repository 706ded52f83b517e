import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { signBridgeRequest } from "../../src/domain/bridge-signature";
import { reconcileBridgePage } from "../../src/inventory/bridge-reconcile";
import { ADMIN, api, uid } from "../support/api";
import { bridgeSecret, sendBridge, stagedRowsOf } from "../support/bridge";
import { newVendorWithToken } from "../support/catalog";
import { stockedSku, stockOf } from "../support/marketplace";

const BLR = { lat: 12.97, lng: 77.59 };
const iso = (ms: number) => new Date(ms).toISOString();

async function bridged(onHand = 10) {
  const s = await stockedSku({ warehouses: [{ at: BLR, onHand }] });
  const secret = await bridgeSecret(s.vendorId);
  return { ...s, warehouseId: s.warehouseIds[0]!, secret };
}

/** Reconciles until nothing is staged (other tests of this file stage rows too). */
async function reconcileAll() {
  for (let i = 0; i < 50; i++) {
    const page = await reconcileBridgePage(env, new Date());
    if (page.rows === 0) return;
  }
  throw new Error("reconcile did not finish");
}

describe("inventory bridge: refusals apply nothing", () => {
  it("refuses a bad signature, a stale timestamp, a replay and a rotated-away secret", async () => {
    const s = await bridged();
    const body = { rows: [{ skuId: s.skuId, warehouseId: s.warehouseId, count: 3, countedAt: iso(Date.now()) }] };

    const forged = await sendBridge(s.vendorId, "not-the-secret", body);
    expect(forged.status).toBe(400);
    expect(forged.body.code).toBe("BAD_SIGNATURE");
    expect(forged.headers.get("content-type")).toContain("application/problem+json");
    expect((await sendBridge(s.vendorId, s.secret, body, { header: "sha256=abc" })).body.code).toBe("BAD_SIGNATURE");
    expect((await sendBridge(s.vendorId, s.secret, body, { header: "" })).body.code).toBe("BAD_SIGNATURE");

    const stale = await sendBridge(s.vendorId, s.secret, body, { at: Math.floor(Date.now() / 1000) - 301 });
    expect(stale.status).toBe(400);
    expect(stale.body.code).toBe("SIGNATURE_EXPIRED");

    // The signature covers the timestamp: re-dating a captured request breaks it.
    const at = Math.floor(Date.now() / 1000);
    const first = await sendBridge(s.vendorId, s.secret, body, { at });
    expect(first.status).toBe(202);
    const v1 = (await signBridgeRequest(s.secret, at, JSON.stringify(body))).split("v1=")[1];
    const header = `t=${at + 1},v1=${v1}`;
    expect((await sendBridge(s.vendorId, s.secret, body, { header })).body.code).toBe("BAD_SIGNATURE");

    const replay = await sendBridge(s.vendorId, s.secret, body, { at });
    expect(replay.status).toBe(409);
    expect(replay.body.code).toBe("SIGNATURE_REPLAYED");
    expect(await stagedRowsOf(s.vendorId)).toBe(1);

    const rotated = await bridgeSecret(s.vendorId);
    expect(rotated).not.toBe(s.secret);
    expect((await sendBridge(s.vendorId, s.secret, body)).body.code).toBe("BAD_SIGNATURE");
    expect((await sendBridge(s.vendorId, rotated, body)).status).toBe(202);
    expect(await stagedRowsOf(s.vendorId)).toBe(2);
  });

  it("stages a retry under its Idempotency-Key once, however it was signed again, and answers the first receipt", async () => {
    const s = await bridged(700);
    const now = Math.floor(Date.now() / 1000);
    const key = uid("erp-push");
    // More rows than one insert carries (500), so the receipt spans two of the batch's inserts.
    const rows = Array.from({ length: 600 }, () => ({
      skuId: s.skuId,
      warehouseId: s.warehouseId,
      delta: -1,
      reason: "damage",
    }));
    const first = await sendBridge(s.vendorId, s.secret, { rows }, { at: now - 200, idempotencyKey: key });
    expect(first.status).toBe(202);
    expect(first.body.staged).toBe(600);
    expect(first.body.rowIds).toHaveLength(600);

    // The ERP never heard the answer and sends again, signed anew, several times at once.
    const retries = await Promise.all(
      [0, 1, 2, 3, 4].map((i) => sendBridge(s.vendorId, s.secret, { rows }, { at: now - i, idempotencyKey: key })),
    );
    for (const retry of retries) {
      expect(retry.status).toBe(202);
      expect(retry.body).toEqual(first.body);
      expect(retry.headers.get("idempotent-replayed")).toBe("true");
    }
    const other = await sendBridge(s.vendorId, s.secret, { rows: rows.slice(1) }, { idempotencyKey: key });
    expect(other.status).toBe(422);
    expect(other.body.code).toBe("IDEMPOTENCY_KEY_REUSED");
    expect(other.headers.get("content-type")).toContain("application/problem+json");
    const malformed = await sendBridge(s.vendorId, s.secret, { rows }, { idempotencyKey: "two words" });
    expect(malformed.status).toBe(422);
    expect(malformed.body.code).toBe("VALIDATION_FAILED");

    expect(await stagedRowsOf(s.vendorId)).toBe(600);
    await reconcileAll();
    expect((await stockOf(s.skuId)).totals.onHand).toBe(100);
  });

  it("answers a kept request sent again after its signature's window by its key, staging nothing", async () => {
    const s = await bridged();
    const key = uid("erp-outbox");
    const body = { rows: [{ skuId: s.skuId, warehouseId: s.warehouseId, delta: 2, reason: "restock" }] };
    // Signed moments before its window closes; the ERP keeps the request as it sent it.
    const at = Math.floor(Date.now() / 1000) - 298;
    const first = await sendBridge(s.vendorId, s.secret, body, { at, idempotencyKey: key });
    expect(first.status).toBe(202);
    await new Promise((r) => setTimeout(r, 3_000));

    // Replayed from the ERP's outbox after an outage: the same bytes, the same signature.
    const again = await sendBridge(s.vendorId, s.secret, body, { at, idempotencyKey: key });
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    // Without its key, or with other rows, an expired signature is refused as before.
    expect((await sendBridge(s.vendorId, s.secret, body, { at })).body.code).toBe("SIGNATURE_EXPIRED");
    const other = { rows: [{ ...body.rows[0]!, delta: 3 }] };
    expect((await sendBridge(s.vendorId, s.secret, other, { at, idempotencyKey: key })).body.code).toBe(
      "SIGNATURE_EXPIRED",
    );
    expect(await stagedRowsOf(s.vendorId)).toBe(1);
  });

  it("refuses a whole request with another vendor's SKU or warehouse, naming each row", async () => {
    const s = await bridged();
    const other = await stockedSku({ warehouses: [{ at: BLR, onHand: 5 }] });
    const now = iso(Date.now());
    const r = await sendBridge(s.vendorId, s.secret, {
      rows: [
        { skuId: s.skuId, warehouseId: s.warehouseId, count: 4, countedAt: now },
        { skuId: other.skuId, warehouseId: s.warehouseId, count: 4, countedAt: now },
        { skuId: s.skuId, warehouseId: other.warehouseIds[0], delta: 2, reason: "restock" },
        { skuCode: "NO-SUCH-CODE", warehouseId: s.warehouseId, delta: 1, reason: "restock" },
      ],
    });
    expect(r.status).toBe(422);
    expect(r.body.code).toBe("VALIDATION_FAILED");
    expect(r.body.errors).toEqual([
      { path: "rows.1.skuId", message: "not a SKU of this vendor" },
      { path: "rows.2.warehouseId", message: "not a warehouse of this vendor" },
      { path: "rows.3.skuCode", message: "not a SKU of this vendor" },
    ]);
    expect(await stagedRowsOf(s.vendorId)).toBe(0);
    await reconcileAll();
    expect((await stockOf(other.skuId)).totals.onHand).toBe(5);
  });

  it("refuses malformed rows and bodies with each problem listed", async () => {
    const s = await bridged();
    const cases: [unknown, string][] = [
      ["{not json", "(body)"],
      [{ rows: [] }, "rows"],
      [
        { rows: [{ skuId: s.skuId, warehouseId: s.warehouseId, count: -1, countedAt: iso(Date.now()) }] },
        "rows.0.count",
      ],
      [{ rows: [{ skuId: s.skuId, warehouseId: s.warehouseId, count: 1 }] }, "rows.0.countedAt"],
      [{ rows: [{ skuId: s.skuId, warehouseId: s.warehouseId, delta: 0, reason: "restock" }] }, "rows.0.delta"],
      [{ rows: [{ skuId: s.skuId, warehouseId: s.warehouseId, delta: 2 }] }, "rows.0.reason"],
      [
        { rows: [{ skuId: s.skuId, skuCode: "X", warehouseId: s.warehouseId, delta: 2, reason: "restock" }] },
        "rows.0.skuId",
      ],
      [
        { rows: [{ skuId: s.skuId, warehouseId: s.warehouseId, count: 1, countedAt: iso(Date.now() + 3_600_000) }] },
        "rows.0.countedAt",
      ],
      [
        { rows: [{ skuId: s.skuId, warehouseId: s.warehouseId, count: 1, countedAt: "yesterday" }] },
        "rows.0.countedAt",
      ],
    ];
    for (const [body, path] of cases) {
      const r = await sendBridge(s.vendorId, s.secret, body);
      expect(r.status, JSON.stringify(body)).toBe(422);
      expect(r.body.code).toBe("VALIDATION_FAILED");
      expect(r.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    }
    expect(await stagedRowsOf(s.vendorId)).toBe(0);
  });

  it("keeps the secret to its vendor: another vendor cannot rotate or read it, and it is stored sealed", async () => {
    const s = await bridged();
    const other = await newVendorWithToken();
    expect(
      (await api("POST", `/v1/vendors/${s.vendorId}/inventory-bridge/secret`, { token: other.token })).status,
    ).toBe(404);
    expect((await api("GET", `/v1/vendors/${s.vendorId}/inventory-bridge`, { token: other.token })).status).toBe(404);
    const row = await env.DB.prepare("SELECT sealed FROM bridge_secrets WHERE vendor_id = ?")
      .bind(s.vendorId)
      .first<{ sealed: string }>();
    expect(row!.sealed).not.toContain(s.secret);
    expect((await sendBridge(uid("ven"), s.secret, { rows: [] })).status).toBe(404);
  });
});

describe("inventory bridge: reconcile", () => {
  it("applies a count net of what moved since it was taken, deltas as adjustments, and reports the drift", async () => {
    const s = await bridged(10);
    // Taken after the level was set; workerd's clock moves on I/O, so wait for it to pass.
    const countedAt = Date.now();
    await new Promise((r) => setTimeout(r, 20));
    // After the count was taken, 2 units were restocked in the marketplace.
    await api("POST", `/v1/skus/${s.skuId}/stock/adjustments`, {
      token: ADMIN,
      headers: { "Idempotency-Key": uid("k") },
      body: { warehouseId: s.warehouseId, delta: 2, reason: "restock" },
    });
    const r = await sendBridge(s.vendorId, s.secret, {
      rows: [{ skuId: s.skuId, warehouseId: s.warehouseId, count: 7, countedAt: iso(countedAt) }],
    });
    expect(r.status).toBe(202);
    await reconcileAll();
    expect((await stockOf(s.skuId)).totals.onHand).toBe(9);

    const code = (await api("GET", `/v1/skus/${s.skuId}`, { token: ADMIN })).body.code as string;
    await sendBridge(s.vendorId, s.secret, {
      rows: [
        { skuCode: code, warehouseId: s.warehouseId, delta: -2, reason: "damage" },
        // Older than the count already applied: superseded, changes nothing.
        { skuId: s.skuId, warehouseId: s.warehouseId, count: 100, countedAt: iso(countedAt - 60_000) },
      ],
    });
    await reconcileAll();
    expect((await stockOf(s.skuId)).totals.onHand).toBe(7);

    const report = await api("GET", `/v1/vendors/${s.vendorId}/inventory-bridge`, { token: ADMIN });
    expect(report.status).toBe(200);
    expect(report.body).toMatchObject({ configured: true, staged: 0 });
    expect(report.body.lines).toEqual([
      expect.objectContaining({
        skuId: s.skuId,
        warehouseId: s.warehouseId,
        counted: 7,
        marketplaceAtCount: 10,
        drift: -3,
        onHandBefore: 12,
        onHandAfter: 9,
        applied: -3,
        outcome: "applied",
      }),
    ]);
  });

  it("does not take a delta off again when a count taken after it was received is applied with it", async () => {
    const s = await bridged(10);
    await new Promise((r) => setTimeout(r, 20));
    // The ERP reports 2 damaged units, then counts the shelf: 8, the damaged ones already gone.
    // Both wait for the same reconcile.
    const damage = await sendBridge(s.vendorId, s.secret, {
      rows: [{ skuId: s.skuId, warehouseId: s.warehouseId, delta: -2, reason: "damage" }],
    });
    expect(damage.status).toBe(202);
    await new Promise((r) => setTimeout(r, 20));
    const counted = await sendBridge(s.vendorId, s.secret, {
      rows: [{ skuId: s.skuId, warehouseId: s.warehouseId, count: 8, countedAt: iso(Date.now()) }],
    });
    expect(counted.status).toBe(202);
    await reconcileAll();
    expect((await stockOf(s.skuId)).totals.onHand).toBe(8);
  });

  it("does not take a delta off again when the level was counted after it was received, before it was applied", async () => {
    const s = await bridged(10);
    await new Promise((r) => setTimeout(r, 20));
    const damage = await sendBridge(s.vendorId, s.secret, {
      rows: [{ skuId: s.skuId, warehouseId: s.warehouseId, delta: -2, reason: "damage" }],
    });
    expect(damage.status).toBe(202);
    await new Promise((r) => setTimeout(r, 20));
    // Before the reconcile runs, the vendor counts the shelf in the app: 8.
    const level = (await stockOf(s.skuId)).warehouses[0]!;
    const put = await api("PUT", `/v1/skus/${s.skuId}/stock`, {
      token: ADMIN,
      body: { warehouseId: s.warehouseId, onHand: 8, expectedVersion: level.version, reason: "count" },
    });
    expect(put.status).toBe(200);
    await reconcileAll();
    expect((await stockOf(s.skuId)).totals.onHand).toBe(8);
    const row = await env.DB.prepare("SELECT outcome FROM bridge_rows WHERE id = ?")
      .bind(damage.body.rowIds[0])
      .first<{ outcome: string }>();
    expect(row!.outcome).toBe("superseded");
  });

  it("applies a delta received after a count from a sheet whose clock runs ahead", async () => {
    const s = await bridged(10);
    await new Promise((r) => setTimeout(r, 20));
    // The sheet's clock is two minutes fast: its count says it was taken after it arrived.
    const counted = await sendBridge(s.vendorId, s.secret, {
      rows: [{ skuId: s.skuId, warehouseId: s.warehouseId, count: 10, countedAt: iso(Date.now() + 120_000) }],
    });
    expect(counted.status).toBe(202);
    await reconcileAll();
    await new Promise((r) => setTimeout(r, 20));
    const damage = await sendBridge(s.vendorId, s.secret, {
      rows: [{ skuId: s.skuId, warehouseId: s.warehouseId, delta: -2, reason: "damage" }],
    });
    expect(damage.status).toBe(202);
    await reconcileAll();
    expect((await stockOf(s.skuId)).totals.onHand).toBe(8);
  });

  it("applies each row once when two reconciles run at once", async () => {
    const s = await bridged(0);
    const rows = Array.from({ length: 40 }, () => ({
      skuId: s.skuId,
      warehouseId: s.warehouseId,
      delta: 1,
      reason: "restock" as const,
    }));
    expect((await sendBridge(s.vendorId, s.secret, { rows })).status).toBe(202);
    const pages = await Promise.all([reconcileBridgePage(env, new Date()), reconcileBridgePage(env, new Date())]);
    await reconcileAll();
    expect(pages.reduce((n, p) => n + p.rows, 0)).toBeGreaterThanOrEqual(40);
    expect((await stockOf(s.skuId)).totals.onHand).toBe(40);
    const applied = await env.DB.prepare(
      "SELECT count(*) AS n FROM bridge_rows WHERE vendor_id = ? AND status = 'applied'",
    )
      .bind(s.vendorId)
      .first<{ n: number }>();
    expect(applied!.n).toBe(40);
  });

  it("applies a row once even when its lease lapsed and another reconcile claimed it again", async () => {
    const s = await bridged(0);
    await sendBridge(s.vendorId, s.secret, {
      rows: [{ skuId: s.skuId, warehouseId: s.warehouseId, delta: 5, reason: "restock" }],
    });
    const id = (await env.DB.prepare("SELECT id FROM bridge_rows WHERE vendor_id = ?")
      .bind(s.vendorId)
      .first<{ id: number }>())!.id;
    // The stock object applied it, but the reconcile died before marking it in D1.
    await env.SKU_STOCK.get(env.SKU_STOCK.idFromName(s.skuId)).applyBridge({
      skuId: s.skuId,
      actor: "t",
      rows: [{ rowId: String(id), warehouseId: s.warehouseId, kind: "delta", delta: 5, reason: "restock" }],
    });
    await reconcileAll();
    expect((await stockOf(s.skuId)).totals.onHand).toBe(5);
  });
});
