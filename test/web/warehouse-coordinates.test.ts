import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import {
  EMPTY_WAREHOUSE,
  WarehouseFields,
  warehouseBody,
  warehouseIssues,
} from "../../web/src/components/WarehouseFields";

describe("a new warehouse's form", () => {
  it("sends coordinates for a postal code the API does not know, and checks them in the API's ranges", () => {
    // The API places a warehouse by postal code from its table, or refuses it (422, "give lat and
    // lng"); Nashik's 422001 is not in the seeded table, so its vendor types the coordinates.
    const html = renderToStaticMarkup(createElement(WarehouseFields, { form: EMPTY_WAREHOUSE, onChange: () => {} }));
    expect(html).toContain("Latitude (optional)");
    expect(html).toContain("Longitude (optional)");

    const nashik = {
      ...EMPTY_WAREHOUSE,
      name: "Nashik godown",
      postalCode: "422001",
      lat: " 19.9975 ",
      lng: "73.7898",
    };
    expect(warehouseBody(nashik)).toEqual({
      name: "Nashik godown",
      postalCode: "422001",
      country: "IN",
      lat: 19.9975,
      lng: 73.7898,
    });
    expect(warehouseIssues(nashik)).toBeNull();

    // Without coordinates the body has none, and the API places it by postal code.
    const known = { ...EMPTY_WAREHOUSE, name: "Koramangala", postalCode: "560034" };
    expect(warehouseBody(known)).toEqual({ name: "Koramangala", postalCode: "560034", country: "IN" });
    expect(warehouseIssues(known)).toBeNull();

    // Refused here as the API would: out of range, unreadable, or one without the other.
    expect(warehouseIssues({ ...nashik, lat: "91" })?.join()).toMatch(/^lat:/);
    expect(warehouseIssues({ ...nashik, lng: "-180.5" })?.join()).toMatch(/^lng:/);
    expect(warehouseIssues({ ...nashik, lat: "18,52" })?.join()).toMatch(/^lat:/);
    expect(warehouseIssues({ ...nashik, lng: "" })?.join()).toMatch(/lng: give lat and lng together/);
  });
});
