import { describe, expect, it } from "vitest";
import { basisPointsOf } from "../../src/domain/money";
import { splitOrder } from "../../src/domain/order-split";
import { deriveOrderStatus } from "../../src/domain/order-status";

describe("money", () => {
  it("rounds basis points half up, in integers", () => {
    expect(basisPointsOf(10_000, 1_250)).toBe(1_250);
    expect(basisPointsOf(333, 1_500)).toBe(50); // 49.95
    expect(basisPointsOf(1, 4_999)).toBe(0); // 0.4999
    expect(basisPointsOf(1, 5_000)).toBe(1); // 0.5
    expect(() => basisPointsOf(1.5, 100)).toThrow(RangeError);
  });

  it("splits per vendor, charges commission per sub-order, and the parent only sums", () => {
    const split = splitOrder(
      [
        { lineIndex: 0, skuId: "a", vendorId: "v2", unitPriceMinor: 333, allocations: [{ warehouseId: "w1", qty: 3 }] },
        {
          lineIndex: 1,
          skuId: "b",
          vendorId: "v1",
          unitPriceMinor: 999,
          allocations: [
            { warehouseId: "w2", qty: 1 },
            { warehouseId: "w3", qty: 2 },
          ],
        },
      ],
      new Map([
        ["v1", { vendorId: "v1", commissionBps: 1_000 }],
        ["v2", { vendorId: "v2", commissionBps: 1_500 }],
      ]),
    );
    expect(split.subOrders.map((s) => [s.vendorId, s.subtotalMinor, s.commissionMinor, s.lines.length])).toEqual([
      ["v1", 2_997, 300, 2],
      ["v2", 999, 150, 1],
    ]);
    expect(split.totalMinor).toBe(split.subOrders.reduce((n, s) => n + s.totalMinor, 0));
  });
});

describe("parent status", () => {
  it("is derived from the sub-orders", () => {
    expect(deriveOrderStatus(["pending_payment", "pending_payment"])).toBe("pending_payment");
    expect(deriveOrderStatus(["paid", "confirmed"])).toBe("paid");
    expect(deriveOrderStatus(["paid", "cancelled"])).toBe("partially_cancelled");
    expect(deriveOrderStatus(["dispatched", "packed"])).toBe("partially_dispatched");
    expect(deriveOrderStatus(["dispatched", "cancelled"])).toBe("dispatched");
    expect(deriveOrderStatus(["delivered", "dispatched"])).toBe("partially_delivered");
    expect(deriveOrderStatus(["delivered", "returned"])).toBe("delivered");
    expect(deriveOrderStatus(["cancelled", "cancelled"])).toBe("cancelled");
  });
});
