import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { uniqueViolation } from "../../src/db/constraints";
import { SharedLanes } from "../../src/platform/shared-turns";
import { uid } from "../support/api";

const MAX_WEIGHT = 16;

type Row = { id: string; tag: string; weight?: number };

/**
 * Lanes whose call is a real D1 batch inserting each caller's row, with every batch sent recorded.
 * Lanes belong to a binding, so each test's binding shares calls only among that test's callers.
 */
function recordedLanes() {
  const sent: number[] = [];
  const d1 = env.DB;
  const insertAll = async (rows: Row[]) => {
    sent.push(rows.length);
    const results = await d1.batch(
      rows.map((r) =>
        d1.prepare("insert into shared_turn_rows (id, tag) values (?1, ?2) returning id").bind(r.id, r.tag),
      ),
    );
    return results.map((r) => (r.results[0] as { id: string }).id);
  };
  const lanes = new SharedLanes<object, Row, string>(() => ({
    together: insertAll,
    alone: async (row) => (await insertAll([row]))[0]!,
    weight: (row) => row.weight ?? 1,
    maxWeight: MAX_WEIGHT,
  }));
  const owner = {};
  return { call: (row: Row) => lanes.call(owner, "rows", row, undefined), sent };
}

async function rowsTagged(tag: string) {
  const r = await env.DB.prepare("select id from shared_turn_rows where tag = ?1 order by id").bind(tag).all<{
    id: string;
  }>();
  return r.results.map((row) => row.id);
}

beforeAll(async () => {
  await env.DB.prepare("create table if not exists shared_turn_rows (id text primary key, tag text not null)").run();
});

describe("calls shared by concurrent callers (platform/shared-turns)", () => {
  it("sends concurrent callers in fewer calls and hands each caller its own answer", async () => {
    const { call, sent } = recordedLanes();
    const tag = uid("many-");
    const ids = Array.from({ length: 120 }, (_, i) => `${tag}-${String(i).padStart(3, "0")}`);
    const answers = await Promise.all(ids.map((id) => call({ id, tag })));
    expect(answers).toEqual(ids);
    expect(await rowsTagged(tag)).toEqual(ids);
    // The first goes alone at once; the rest wait for it and share the next calls.
    expect(sent[0]).toBe(1);
    expect(sent.length).toBeLessThan(12);
    expect(Math.max(...sent)).toBe(MAX_WEIGHT);
    expect(sent.reduce((a, b) => a + b, 0)).toBe(120);
  });

  it("fails only the caller whose part fails, and commits every other caller once", async () => {
    const { call, sent } = recordedLanes();
    const tag = uid("one-bad-");
    const taken = `${tag}-taken`;
    await env.DB.prepare("insert into shared_turn_rows (id, tag) values (?1, ?2)").bind(taken, "before").run();
    const ids = Array.from({ length: 30 }, (_, i) => (i === 17 ? taken : `${tag}-${String(i).padStart(2, "0")}`));
    const settled = await Promise.allSettled(ids.map((id) => call({ id, tag })));
    const failed = settled.flatMap((s, i) => (s.status === "rejected" ? [{ i, reason: s.reason as unknown }] : []));
    expect(failed.map((f) => f.i)).toEqual([17]);
    expect(uniqueViolation(failed[0]!.reason)).toEqual({ table: "shared_turn_rows", columns: ["id"] });
    expect(await rowsTagged(tag)).toEqual(ids.filter((id) => id !== taken));
    const before = await env.DB.prepare("select tag from shared_turn_rows where id = ?1").bind(taken).first();
    expect(before).toEqual({ tag: "before" });
    // The first went alone, then callers 1-16 together, then 17-29: that call failed and was rolled
    // back whole, and each of its 13 callers went again alone.
    expect(sent.slice(0, 3)).toEqual([1, MAX_WEIGHT, 13]);
    expect(sent.slice(3)).toEqual(Array.from({ length: 13 }, () => 1));
  });

  it("sends a caller heavier than a shared call may carry on its own", async () => {
    const { call, sent } = recordedLanes();
    const tag = uid("heavy-");
    const [heavy, light] = await Promise.all([
      call({ id: `${tag}-heavy`, tag, weight: MAX_WEIGHT + 1 }),
      call({ id: `${tag}-light`, tag }),
    ]);
    expect([heavy, light]).toEqual([`${tag}-heavy`, `${tag}-light`]);
    expect(sent).toEqual([1, 1]);
    expect(await rowsTagged(tag)).toEqual([`${tag}-heavy`, `${tag}-light`]);
  });
});
