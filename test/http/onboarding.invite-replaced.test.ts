import { describe, expect, it } from "vitest";
import { api, tokenFor, uid } from "../support/api";

const secretOf = (link: string) => new URL(link).hash.replace(/^#invite=/, "");

async function invite(ops: string, email: string) {
  const r = await api("POST", "/v1/onboarding/invites", { token: ops, body: { email } });
  expect(r.status).toBe(201);
  return secretOf(r.body.link);
}

const accept = (secret: string) => api("POST", "/v1/onboarding/invites/accept", { body: { token: secret } });

describe("an address invited again", () => {
  it("is onboarded by the new link only: the earlier one is expired by it", async () => {
    const ops = await tokenFor("ops");
    const email = `${uid("v")}@shop.example`;
    const first = await invite(ops, email);
    // Re-sent as ops would after the first went astray, spelt differently: the same address.
    const second = await invite(ops, email.toUpperCase());

    const stale = await accept(first);
    expect(stale.status).toBe(410);
    expect(stale.body.code).toBe("LINK_EXPIRED");

    const opened = await accept(second);
    expect(opened.status).toBe(201);
    const me = await api("GET", "/v1/me", { token: opened.body.token });
    expect(me.body).toMatchObject({ role: "vendor", vendorId: opened.body.vendorId });
  });

  it("leaves other addresses' invites as they were", async () => {
    const ops = await tokenFor("ops");
    const other = await invite(ops, `${uid("v")}@shop.example`);
    await invite(ops, `${uid("v")}@shop.example`);
    expect((await accept(other)).status).toBe(201);
  });
});
