import { describe, expect, it } from "vitest";
import { rankByDistance } from "../../src/domain/warehouse-ranking";

describe("rankByDistance", () => {
  const bengaluru = { lat: 12.9716, lng: 77.5946 };
  it("ranks nearest first and breaks ties by id", () => {
    const sites = [
      { id: "wh_delhi", vendorId: "v", lat: 28.6139, lng: 77.209 },
      { id: "wh_b2", vendorId: "v", ...bengaluru },
      { id: "wh_mumbai", vendorId: "v", lat: 19.076, lng: 72.8777 },
      { id: "wh_b1", vendorId: "v", ...bengaluru },
    ];
    expect(rankByDistance(sites, bengaluru)).toEqual(["wh_b1", "wh_b2", "wh_mumbai", "wh_delhi"]);
    expect(rankByDistance([...sites].reverse(), bengaluru)).toEqual(["wh_b1", "wh_b2", "wh_mumbai", "wh_delhi"]);
  });
});
