import { describe, expect, it } from "vitest";
import { ApiProblem } from "../../web/src/api";
import { subOrderOnScreen } from "../../web/src/pages/vendor/VendorApp";
import type { ProblemBody } from "../../web/src/types";

const problem = (status: number, code: string) =>
  new ApiProblem(status, { type: "about:blank", title: code, status, detail: code, code } as ProblemBody);

describe("a sub-order the vendor may no longer work on (its order held for review)", () => {
  const sub = { id: "sub_held_1", status: "paid" };

  it("is not shown once its read answers 404: useApi keeps the last data on a failure", () => {
    expect(subOrderOnScreen(sub, problem(404, "NOT_FOUND"), null)).toBe("gone");
  });

  it("stays gone while the next read (a feed tick) is on its way, its error cleared and the old data kept", () => {
    expect(subOrderOnScreen(sub, null, { data: sub })).toBe("gone");
    expect(subOrderOnScreen(null, null, { data: null })).toBe("gone");
  });

  it("comes back with a read that answers it again (ops approved the order)", () => {
    const again = { id: "sub_held_1", status: "paid" };
    expect(subOrderOnScreen(again, null, { data: sub })).toBe(again);
  });

  it("is kept on screen when the server could not be reached, or refused otherwise", () => {
    expect(subOrderOnScreen(sub, problem(0, "NETWORK_ERROR"), null)).toBe(sub);
    expect(subOrderOnScreen(sub, problem(500, "INTERNAL"), null)).toBe(sub);
    expect(subOrderOnScreen(sub, null, null)).toBe(sub);
  });
});
