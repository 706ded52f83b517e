import { describe, expect, it } from "vitest";
import { assignTarget } from "../../web/src/pages/ops/OpsOrder";

describe("an ops assign's target", () => {
  it("is no warehouse once the ticked sub-orders' vendor no longer offers the one picked", () => {
    // Sub-order A (vendor X) ticked, "X Pune" picked; A unticked, B (vendor Y) ticked: Y's warehouses.
    const picked = { vendorId: "", warehouseId: "wh_x_pune" };
    expect(assignTarget(picked, { vendorIds: ["ven_x", "ven_y"], warehouseIds: ["wh_x_pune"] })).toEqual({
      warehouseId: "wh_x_pune",
    });
    expect(assignTarget(picked, { vendorIds: ["ven_x", "ven_y"], warehouseIds: ["wh_y_delhi"] })).toEqual({});
    // Y's list still on its way: nothing offered, nothing sent.
    expect(assignTarget(picked, { vendorIds: ["ven_x", "ven_y"], warehouseIds: [] })).toEqual({});
  });

  it("is no vendor once the vendor picked is no longer offered (suspended since)", () => {
    const picked = { vendorId: "ven_x", warehouseId: "wh_x_pune" };
    expect(assignTarget(picked, { vendorIds: ["ven_x"], warehouseIds: ["wh_x_pune"] })).toEqual({
      vendorId: "ven_x",
      warehouseId: "wh_x_pune",
    });
    expect(assignTarget(picked, { vendorIds: ["ven_y"], warehouseIds: [] })).toEqual({});
  });
});
