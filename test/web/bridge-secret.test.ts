import { describe, expect, it } from "vitest";
import { singleFlight } from "../../web/src/pages/vendor/InventoryBridge";

describe("the inventory bridge page's secret button", () => {
  it("sends one request for a double tap, and the next tap once the first has answered", async () => {
    const sent: string[] = [];
    const answers: ((secret: string) => void)[] = [];
    const rotate = singleFlight(
      (vendorId: string) =>
        new Promise<string>((resolve) => {
          sent.push(vendorId);
          answers.push(resolve);
        }),
    );
    const first = rotate("ven_bridge_tap_1");
    const second = rotate("ven_bridge_tap_1");
    expect(sent).toEqual(["ven_bridge_tap_1"]);
    // The dropped tap shows nothing: only the answer to the request sent is the secret in force.
    expect(await second).toBeUndefined();
    answers[0]!("secret-1");
    expect(await first).toBe("secret-1");

    const third = rotate("ven_bridge_tap_1");
    expect(sent).toHaveLength(2);
    answers[1]!("secret-2");
    expect(await third).toBe("secret-2");
  });

  it("lets the vendor try again after a request fails", async () => {
    let calls = 0;
    const rotate = singleFlight(async () => {
      calls += 1;
      if (calls === 1) throw new Error("503 Service Unavailable");
      return "secret-after-retry";
    });
    await expect(rotate()).rejects.toThrow("503");
    expect(await rotate()).toBe("secret-after-retry");
  });
});
