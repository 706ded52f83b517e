import { afterEach, describe, expect, it, vi } from "vitest";
import { bannerRuns, payoutAlert } from "../../web/src/pages/ops/PayoutRuns";
import type { PayoutRun } from "../../web/src/types";

afterEach(() => vi.unstubAllGlobals());

const at = (hour: number) => `2026-11-29T${String(hour).padStart(2, "0")}:00:00.000Z`;
/** A run started at `hour`, as GET /v1/payouts/runs serves it. */
const run = (hour: number, status: PayoutRun["status"], problems: string[] = []): PayoutRun => ({
  id: `pr_banner_${hour}_${status}`,
  status,
  currency: "INR",
  periodFrom: at(0),
  periodBefore: at(hour),
  transfers: 0,
  transferredMinor: 0,
  held: 0,
  pages: 1,
  reversals: 0,
  reversedMinor: 0,
  carriedMinor: 0,
  problems,
  figures: null,
  startedAt: at(hour),
  finishedAt: status === "running" ? null : `2026-11-29T${String(hour).padStart(2, "0")}:01:00.000Z`,
});
const time = (iso: string | null | undefined) => iso ?? "—";
const interrupted = (hour: number) => run(hour, "interrupted", ["the run stopped before it finished"]);

describe("the ops dashboard's payout banner", () => {
  it("is quiet while the latest closed run completed, a live run above it or not", () => {
    expect(payoutAlert([run(9, "paid"), run(8, "halted", ["captures differ"])], true, time)).toBeNull();
    expect(payoutAlert([run(10, "running"), run(9, "paid")], true, time)).toBeNull();
    expect(payoutAlert([], false, time)).toBeNull();
  });

  it("warns when every run dies, saying how many did and since when nothing completed", () => {
    // Reconciliation throwing each hour: each run is closed as interrupted by the next.
    const runs = [run(12, "running"), interrupted(11), interrupted(10), interrupted(9), run(8, "paid")];
    expect(payoutAlert(runs, true, time)).toEqual({
      title: "Payouts interrupted.",
      lines: [
        `The run of ${at(11)} stopped before it finished (3 of the last 3 runs did).`,
        "No run has completed since 2026-11-29T08:01:00.000Z.",
      ],
    });
    // None completed as far back as read, or ever.
    expect(payoutAlert([interrupted(11), interrupted(10)], true, time)?.lines.at(-1)).toBe(
      `No run has completed since before ${at(10)}.`,
    );
    expect(payoutAlert([interrupted(11)], false, time)).toEqual({
      title: "Payouts interrupted.",
      lines: [`The run of ${at(11)} stopped before it finished.`, "No run has completed yet."],
    });
  });

  it("keeps a halt told, with the interrupted runs after it, until a run completes", () => {
    const halted = run(9, "halted", ["captures differ by 120", "an unknown transfer"]);
    expect(payoutAlert([halted, run(8, "paid")], true, time)).toEqual({
      title: "Payouts stopped.",
      lines: [
        `The run of ${at(9)} paid nothing: captures differ by 120 (and 1 more).`,
        "No run has completed since 2026-11-29T08:01:00.000Z.",
      ],
    });
    expect(payoutAlert([interrupted(11), interrupted(10), halted, run(8, "paid")], true, time)).toEqual({
      title: "Payouts stopped.",
      lines: [
        `The run of ${at(11)} stopped before it finished (2 of the last 3 runs did).`,
        `The run of ${at(9)} paid nothing: captures differ by 120 (and 1 more).`,
        "No run has completed since 2026-11-29T08:01:00.000Z.",
      ],
    });
    expect(payoutAlert([run(10, "halted"), interrupted(9), run(8, "paid")], true, time)?.lines).toEqual([
      `The run of ${at(10)} paid nothing: its reconciliation did not hold.`,
      "1 of the last 2 runs stopped before they finished.",
      "No run has completed since 2026-11-29T08:01:00.000Z.",
    ]);
    expect(payoutAlert([run(12, "paid"), interrupted(11), halted], true, time)).toBeNull();
  });

  it("reads the latest runs, and back a week only when none of them completed", async () => {
    const halted = run(10, "halted", ["captures differ"]);
    const runs = [interrupted(14), interrupted(13), interrupted(12), interrupted(11), halted, run(9, "paid")];
    const asked: string[] = [];
    vi.stubGlobal("fetch", async (url: string) => {
      const q = new URL(url, "https://oms.test").searchParams;
      asked.push(q.get("limit") ?? "");
      const limit = Number(q.get("limit"));
      const page = { items: runs.slice(0, limit), nextCursor: limit < runs.length ? "more" : null };
      return new Response(JSON.stringify(page), { headers: { "content-type": "application/json" } });
    });
    const read = await bannerRuns("token");
    expect(asked).toEqual(["4", "168"]);
    expect(payoutAlert(read.items, read.nextCursor !== null, time)?.lines).toEqual([
      `The run of ${at(14)} stopped before it finished (4 of the last 5 runs did).`,
      `The run of ${at(10)} paid nothing: captures differ.`,
      "No run has completed since 2026-11-29T09:01:00.000Z.",
    ]);
    // A run completed since: the latest runs say so, nothing older is read.
    asked.length = 0;
    runs.unshift(run(15, "paid"));
    expect(payoutAlert((await bannerRuns("token")).items, true, time)).toBeNull();
    expect(asked).toEqual(["4"]);
  });
});
