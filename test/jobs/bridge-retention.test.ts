import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { reconcileBridgePage } from "../../src/inventory/bridge-reconcile";
import { PRUNE_PAGE, PRUNE_PAGES_PER_RUN } from "../../src/inventory/bridge-retention";
import { ADMIN, api } from "../support/api";
import { newProduct, newSku, newVendor, newWarehouse } from "../support/catalog";

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

type Seed = {
  vendorId: string;
  skuId: string;
  warehouseId: string;
  kind: "count" | "delta";
  /** applied at this time (epoch ms); staged when absent */
  appliedAt?: number;
  outcome?: "applied" | "superseded" | "clamped";
};

/** Writes bridge rows as the reconcile leaves them, in this order (so in id order); answers their ids. */
async function seed(rows: Seed[]): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < rows.length; i += 500) {
    const part = rows
      .slice(i, i + 500)
      .map((r) => [
        r.vendorId,
        r.skuId,
        r.warehouseId,
        r.kind,
        r.kind === "count" ? 5 : -1,
        r.kind === "count" ? (r.appliedAt ?? Date.now()) - 60_000 : null,
        r.kind === "delta" ? "damage" : null,
        iso((r.appliedAt ?? Date.now()) - 60_000),
        r.appliedAt === undefined ? "staged" : "applied",
        r.appliedAt === undefined ? null : iso(r.appliedAt),
        r.appliedAt === undefined ? null : (r.outcome ?? "applied"),
      ]);
    const { results } = await env.DB.prepare(
      `insert into bridge_rows (vendor_id, sku_id, warehouse_id, kind, qty, counted_at, reason, received_at,
         status, applied_at, outcome, on_hand_before, on_hand_after, target, shortfall)
       select value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6,
         value ->> 7, value ->> 8, value ->> 9, value ->> 10,
         case when value ->> 8 = 'applied' then 7 end, case when value ->> 8 = 'applied' then 5 end,
         case when value ->> 8 = 'applied' then 5 end, case when value ->> 8 = 'applied' then 0 end
       from json_each(?) order by key returning id`,
    )
      .bind(JSON.stringify(part))
      .all<{ id: number }>();
    ids.push(...results.map((r) => r.id));
  }
  return ids;
}

async function idsOf(vendorId: string): Promise<number[]> {
  const { results } = await env.DB.prepare("select id from bridge_rows where vendor_id = ? order by id")
    .bind(vendorId)
    .all<{ id: number }>();
  return results.map((r) => r.id);
}

const prune = (now: Date) =>
  api("POST", "/v1/admin/jobs/prune-bridge-rows/run", { token: ADMIN, body: { now: now.toISOString() } });
const drift = (vendorId: string) => api("GET", `/v1/vendors/${vendorId}/inventory-bridge`, { token: ADMIN });

async function bridgeVendor(warehouses: number) {
  const [vendor, product] = await Promise.all([newVendor(), newProduct()]);
  const sku = await newSku(vendor.id, product.id);
  const whs = [];
  for (let i = 0; i < warehouses; i++) whs.push((await newWarehouse(vendor.id)).id as string);
  return { vendorId: vendor.id as string, skuId: sku.id as string, warehouseIds: whs };
}

describe("inventory bridge: page records", () => {
  it("a reconcile page that found nothing leaves no record, and records older than a week are forgotten", async () => {
    const runs = async () =>
      (await env.DB.prepare("select started_at as startedAt from bridge_runs order by id").all<{ startedAt: number }>())
        .results;
    // Nothing is staged yet in this file: the minute's page finds nothing.
    expect((await reconcileBridgePage(env, new Date())).rows).toBe(0);
    expect(await runs()).toEqual([]);

    const now = Date.now();
    for (const startedAt of [now - 8 * DAY, now - DAY]) {
      await env.DB.prepare(
        "insert into bridge_runs (started_at, finished_at, rows, skus, queries) values (?, ?, 10, 1, 7)",
      )
        .bind(startedAt, startedAt + 100)
        .run();
    }
    const purge = await api("POST", "/v1/admin/jobs/purge-expired-keys/run", { token: ADMIN });
    expect(purge.status).toBe(200);
    expect(purge.body.result.bridgeRuns).toBe(1);
    expect(await runs()).toEqual([{ startedAt: now - DAY }]);
  });
});

describe("bridge rows past retention", () => {
  it("deletes old finished rows over several bounded runs, keeping staged rows and what the drift report reads", async () => {
    const now = Date.now();
    const old = (i: number) => now - 20 * DAY + i * 1000;
    const a = await bridgeVendor(2);
    const [w1, w2] = a.warehouseIds as [string, string];
    const b = await bridgeVendor(1);
    const bw = b.warehouseIds[0]!;
    const at = (v: { vendorId: string; skuId: string }, warehouseId: string) => ({ ...v, warehouseId });
    const A1 = at(a, w1);
    const A2 = at(a, w2);
    const B1 = at(b, bw);
    let t = 0;
    const series = (n: number, row: Omit<Seed, "appliedAt">): Seed[] =>
      Array.from({ length: n }, () => ({ ...row, appliedAt: old(t++) }));

    // Vendor A, warehouse 2: counted long ago and not since (its latest count, clamped, stays),
    // with a superseded count and a delta after it.
    const a2Old = await seed(series(1500, { ...A2, kind: "count" }));
    const [a2Latest] = await seed(series(1, { ...A2, kind: "count", outcome: "clamped" }));
    const a2After = await seed([
      ...series(1, { ...A2, kind: "count", outcome: "superseded" }),
      ...series(1, { ...A2, kind: "delta" }),
    ]);
    // Vendor A, warehouse 1: a sheet sent every few minutes for weeks, deltas and superseded counts
    // among the counts, then counts of the last day (which stay), and rows still staged, some old.
    const a1Old = await seed([
      ...series(3000, { ...A1, kind: "count" }),
      ...series(1000, { ...A1, kind: "delta" }),
      ...series(500, { ...A1, kind: "count", outcome: "superseded" }),
    ]);
    const a1Recent = await seed(
      Array.from({ length: 10 }, (_, i) => ({ ...A1, kind: "count" as const, appliedAt: now - DAY + i * 1000 })),
    );
    const staged = await seed([
      ...Array.from({ length: 5 }, () => ({ ...A1, kind: "count" as const })),
      { ...A2, kind: "delta" },
    ]);
    await env.DB.prepare("update bridge_rows set received_at = ? where id in (select value from json_each(?))")
      .bind(iso(now - 30 * DAY), JSON.stringify(staged))
      .run();
    // Vendor B stopped sending: its latest count stays, and so does its last applied row (a delta),
    // whose time the report gives as lastAppliedAt.
    const bOld = await seed(series(799, { ...B1, kind: "count" }));
    const [bLatest] = await seed(series(1, { ...B1, kind: "count" }));
    const [bLast] = await seed(series(1, { ...B1, kind: "delta" }));

    const deletable = a2Old.length + a2After.length + a1Old.length + bOld.length;
    expect(deletable).toBeGreaterThan(PRUNE_PAGE * PRUNE_PAGES_PER_RUN);
    const before = { a: (await drift(a.vendorId)).body, b: (await drift(b.vendorId)).body };
    expect(before.a.lines).toHaveLength(2);
    expect(before.a.staged).toBe(6);
    expect(before.b.lastAppliedAt).toBe(iso(old(t - 1)));

    const first = await prune(new Date(now));
    expect(first.status).toBe(200);
    expect(first.body.result).toMatchObject({ pages: PRUNE_PAGES_PER_RUN, done: false });
    expect(first.body.result.deleted + first.body.result.kept).toBe(PRUNE_PAGE * PRUNE_PAGES_PER_RUN);
    const second = await prune(new Date(now + 60_000));
    expect(second.body.result).toMatchObject({ done: true });
    expect(first.body.result.deleted + second.body.result.deleted).toBe(deletable);
    expect((await prune(new Date(now + 120_000))).body.result).toMatchObject({ deleted: 0, done: true });

    expect(await idsOf(a.vendorId)).toEqual([a2Latest, ...a1Recent, ...staged].sort((x, y) => x! - y!));
    expect(await idsOf(b.vendorId)).toEqual([bLatest, bLast]);
    expect((await drift(a.vendorId)).body).toEqual(before.a);
    expect((await drift(b.vendorId)).body).toEqual(before.b);

    // A newer count for warehouse 2 frees the old one: the next walk deletes it.
    const [a2Newer] = await seed([{ ...A2, kind: "count", appliedAt: now - DAY }]);
    await prune(new Date(now + 180_000));
    expect(await idsOf(a.vendorId)).toEqual([...a1Recent, ...staged, a2Newer].sort((x, y) => x! - y!));
  });
});
