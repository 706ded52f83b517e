import { describe, expect, it } from "vitest";
import { progressed, STALLED_MS, stalled } from "../../web/src/pages/vendor/Products";
import type { ProductImport } from "../../web/src/types";

const imp = (appliedRows: number, status: ProductImport["status"] = "applying") =>
  ({ id: "imp_1", status, appliedRows, validRows: 800 }) as ProductImport;

describe("a product import that stops moving", () => {
  it("lets its file be chosen again once it showed no progress for as long as the server waits to resend", () => {
    // The server's RESEND_AFTER_SECONDS (src/product-import/upload.ts).
    expect(STALLED_MS).toBe(30_000);
    let p = progressed(null, imp(400), 0);
    // Polled every second, the same 400 rows: stuck only after STALLED_MS.
    for (let t = 1_000; t < STALLED_MS; t += 1_000) {
      p = progressed(p, imp(400), t);
      expect(stalled(imp(400), p, t)).toBe(false);
    }
    p = progressed(p, imp(400), STALLED_MS);
    expect(stalled(imp(400), p, STALLED_MS)).toBe(true);
    // Rows moving again: not stuck, judged afresh from then.
    p = progressed(p, imp(800 - 1), STALLED_MS + 1_000);
    expect(stalled(imp(799), p, STALLED_MS + 1_000)).toBe(false);
    // A done import is never stuck.
    expect(stalled(imp(800, "done"), p, 10 * STALLED_MS)).toBe(false);
  });
});
