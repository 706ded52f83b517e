import { describe, expect, it } from "vitest";
import { selectionOnScreen } from "../../web/src/pages/ops/OpsOrders";

const rows = (...ids: string[]) => ids.map((id) => ({ id }));

describe("Ops orders' bulk selection", () => {
  it("acts only on selected orders still on screen: one that left the list since it was ticked is dropped", () => {
    // ord_sel_b was approved by a colleague and fell out of the "held" filter on the feed's reload.
    const selected = new Set(["ord_sel_a", "ord_sel_b", "ord_sel_c"]);
    expect([...selectionOnScreen(selected, rows("ord_sel_a", "ord_sel_c", "ord_sel_d"))]).toEqual([
      "ord_sel_a",
      "ord_sel_c",
    ]);
  });

  it("keeps nothing from a page turned away from, or while the next page is being read", () => {
    const selected = new Set(["ord_sel_p1", "ord_sel_p2"]);
    expect(selectionOnScreen(selected, rows("ord_sel_p51", "ord_sel_p52")).size).toBe(0);
    expect(selectionOnScreen(selected, []).size).toBe(0);
  });

  it("answers the same set when all of it is on screen, so a reload that changes nothing keeps the state", () => {
    const selected = new Set(["ord_sel_x"]);
    expect(selectionOnScreen(selected, rows("ord_sel_w", "ord_sel_x"))).toBe(selected);
  });
});
