import { describe, expect, it } from "vitest";
import { pageCursors } from "../../web/src/pages/ops/OpsOrders";

const oldestFirst = JSON.stringify({ sort: "createdAt" });
const unfiltered = JSON.stringify({});

describe("Ops orders' page position", () => {
  it("starts a list whose filters changed by a link (a tab, the top bar) at its first page", () => {
    // Ops turned to page 2 of the oldest-first list, then followed the Orders tab to /ops: the cursor
    // was made for the other sort, whose direction it does not record.
    const paging = { filters: oldestFirst, cursors: [null, "cur_paging_oldest_2"] };
    expect(pageCursors(paging, unfiltered)).toEqual([null]);
  });

  it("keeps the pages turned for the filters on screen", () => {
    const cursors = [null, "cur_paging_same_2", "cur_paging_same_3"];
    expect(pageCursors({ filters: oldestFirst, cursors }, oldestFirst)).toBe(cursors);
  });
});
