import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { uniqueViolation } from "../../src/db/constraints";
import { SHARED_BATCH_MAX_STATEMENTS, sharedBatch } from "../../src/db/shared-batch";
import { uid } from "../support/api";

/**
 * The real D1 binding, with every batch it is sent recorded. Lanes belong to a binding, so each
 * test's binding shares batches only among that test's own callers.
 */
function recordedD1() {
  const sent: number[] = [];
  const d1 = {
    prepare: (sql: string) => env.DB.prepare(sql),
    batch: (statements: D1PreparedStatement[]) => {
      sent.push(statements.length);
      return env.DB.batch(statements);
    },
  } as unknown as D1Database;
  return { d1, sent };
}

/** One caller's batch: its row in, then its row and the count of rows under its tag read back. */
function callerStatements(d1: D1Database, tag: string, id: string) {
  return [
    d1.prepare("insert into shared_batch_rows (id, tag) values (?1, ?2) returning id").bind(id, tag),
    d1.prepare("select id, tag from shared_batch_rows where id = ?1").bind(id),
  ];
}

async function rowsTagged(tag: string) {
  const r = await env.DB.prepare("select id from shared_batch_rows where tag = ?1 order by id").bind(tag).all<{
    id: string;
  }>();
  return r.results.map((row) => row.id);
}

beforeAll(async () => {
  await env.DB.prepare("create table if not exists shared_batch_rows (id text primary key, tag text not null)").run();
});

describe("batches shared by concurrent callers", () => {
  it("sends concurrent callers in fewer round trips and hands each caller the results of its own statements", async () => {
    const { d1, sent } = recordedD1();
    const tag = uid("many-");
    const ids = Array.from({ length: 120 }, (_, i) => `${tag}-${String(i).padStart(3, "0")}`);
    const results = await Promise.all(
      ids.map((id) => sharedBatch(d1, "rows", callerStatements(d1, tag, id), undefined)),
    );
    results.forEach((r, i) => {
      expect(r).toHaveLength(2);
      expect(r[0]!.results).toEqual([{ id: ids[i] }]);
      expect(r[1]!.results).toEqual([{ id: ids[i], tag }]);
    });
    expect(await rowsTagged(tag)).toEqual(ids);
    // The first goes alone at once; the rest wait for it and share the next round trips.
    expect(sent[0]).toBe(2);
    expect(sent.length).toBeLessThan(10);
    expect(Math.max(...sent)).toBeLessThanOrEqual(SHARED_BATCH_MAX_STATEMENTS);
    expect(sent.reduce((a, b) => a + b, 0)).toBe(240);
  });

  it("fails only the caller whose statement fails, and commits every other caller once", async () => {
    const { d1, sent } = recordedD1();
    const tag = uid("one-bad-");
    const taken = `${tag}-taken`;
    await env.DB.prepare("insert into shared_batch_rows (id, tag) values (?1, ?2)").bind(taken, "before").run();
    const ids = Array.from({ length: 30 }, (_, i) => (i === 17 ? taken : `${tag}-${String(i).padStart(2, "0")}`));
    const settled = await Promise.allSettled(
      ids.map((id) => sharedBatch(d1, "rows", callerStatements(d1, tag, id), undefined)),
    );
    const failed = settled.flatMap((s, i) => (s.status === "rejected" ? [{ i, reason: s.reason as unknown }] : []));
    expect(failed.map((f) => f.i)).toEqual([17]);
    expect(uniqueViolation(failed[0]!.reason)).toEqual({ table: "shared_batch_rows", columns: ["id"] });
    expect(await rowsTagged(tag)).toEqual(ids.filter((id) => id !== taken));
    const before = await env.DB.prepare("select tag from shared_batch_rows where id = ?1").bind(taken).first();
    expect(before).toEqual({ tag: "before" });
    // A shared batch that failed was rolled back whole, then its callers went alone.
    expect(sent.length).toBeGreaterThan(1);
  });

  it("sends a batch larger than a shared batch may carry on its own, whole", async () => {
    const { d1, sent } = recordedD1();
    const tag = uid("large-");
    const big = Array.from({ length: SHARED_BATCH_MAX_STATEMENTS / 2 + 1 }, (_, i) =>
      callerStatements(d1, tag, `${tag}-${String(i).padStart(3, "0")}`),
    ).flat();
    const small = callerStatements(d1, tag, `${tag}-small`);
    const [bigResults, smallResults] = await Promise.all([
      sharedBatch(d1, "rows", big, undefined),
      sharedBatch(d1, "rows", small, undefined),
    ]);
    expect(bigResults).toHaveLength(big.length);
    expect(smallResults[1]!.results).toEqual([{ id: `${tag}-small`, tag }]);
    expect(sent.sort((a, b) => a - b)).toEqual([2, big.length]);
    expect(await rowsTagged(tag)).toHaveLength(big.length / 2 + 1);
  });
});
