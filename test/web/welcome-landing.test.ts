import { afterEach, describe, expect, it, vi } from "vitest";
import { landingAfterSignIn } from "../../web/src/pages/vendor/Welcome";

afterEach(() => vi.unstubAllGlobals());

/** The API's answer to GET /v1/onboarding/{vendorId}, in `state`, and the paths asked for. */
function onboardingIn(state: string | null) {
  const asked: string[] = [];
  vi.stubGlobal("fetch", async (url: string) => {
    asked.push(new URL(url, "https://oms.test").pathname);
    if (state === null) {
      return new Response(JSON.stringify({ status: 503, title: "Unavailable" }), {
        status: 503,
        headers: { "content-type": "application/problem+json" },
      });
    }
    return new Response(JSON.stringify({ vendorId: "ven_welcome_1", state, step: "review" }), {
      headers: { "content-type": "application/json" },
    });
  });
  return asked;
}

describe("a vendor signed in by an emailed link", () => {
  it("goes to its order queue once approved, and to the wizard while still onboarding", async () => {
    const asked = onboardingIn("approved");
    expect(await landingAfterSignIn("tok_welcome", "ven_welcome_1")).toBe("/vendor");
    expect(asked).toEqual(["/v1/onboarding/ven_welcome_1"]);

    for (const state of ["draft", "submitted", "rejected"]) {
      onboardingIn(state);
      expect(await landingAfterSignIn("tok_welcome", "ven_welcome_1"), state).toBe("/vendor/onboarding");
    }

    // Unread: the app's home, which shows the wizard itself until the vendor is approved.
    onboardingIn(null);
    expect(await landingAfterSignIn("tok_welcome", "ven_welcome_1")).toBe("/vendor");
  });
});
