import { describe, expect, it } from "vitest";
import { pollImport } from "../../web/src/pages/vendor/Products";
import type { ProductImport } from "../../web/src/types";

const progress = (id: string, appliedRows: number, status: ProductImport["status"]): ProductImport => ({
  id,
  vendorId: "ven_poll_1",
  status,
  totalRows: 3,
  validRows: 3,
  invalidRows: 0,
  appliedRows,
  createdProducts: 0,
  createdSkus: 0,
  offers: 0,
  updatedSkus: 0,
  stockLevels: 0,
  errors: [],
  createdAt: "2026-11-29T10:00:00Z",
});

describe("the products page's import progress", () => {
  it("goes on polling after a poll fails, until the import is done", async () => {
    const answers: (ProductImport | Error)[] = [
      progress("imp_poll_1", 1, "applying"),
      new Error("503 Service Unavailable"),
      new Error("network blip"),
      progress("imp_poll_1", 2, "applying"),
      progress("imp_poll_1", 3, "done"),
    ];
    let reads = 0;
    const seen: string[] = [];
    await pollImport(
      async () => {
        const a = answers[reads++];
        if (!a) throw new Error("read after the import was done");
        if (a instanceof Error) throw a;
        return a;
      },
      new AbortController().signal,
      {
        progress: (imp) => seen.push(`${imp.status} ${imp.appliedRows}`),
        failed: (err) => seen.push(`failed: ${(err as Error).message}`),
      },
      async () => {},
    );
    expect(reads).toBe(5);
    expect(seen).toEqual([
      "applying 1",
      "failed: 503 Service Unavailable",
      "failed: network blip",
      "applying 2",
      "done 3",
    ]);
  });

  it("stops when the page lets the import go, even between failed polls", async () => {
    const controller = new AbortController();
    let reads = 0;
    const failures: unknown[] = [];
    await pollImport(
      async () => {
        reads += 1;
        if (reads === 2) controller.abort();
        throw new Error("503 Service Unavailable");
      },
      controller.signal,
      { progress: () => {}, failed: (err) => failures.push(err) },
      async () => {},
    );
    expect(reads).toBe(2);
    expect(failures).toHaveLength(1);
  });
});
