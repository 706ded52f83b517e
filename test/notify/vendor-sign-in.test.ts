import { env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { config } from "../../src/platform/config";
import { api, tokenFor, uid } from "../support/api";

const fakeBase = () => config(env).email!.apiBase;

async function sentTo(address: string) {
  const all = (await (await fetch(`${fakeBase()}/_fake/requests`)).json()) as {
    provider: string;
    body: { to: string[]; subject: string; text: string };
    status: number;
  }[];
  return all.filter((r) => r.provider === "email" && r.body?.to?.[0] === address);
}

/** The mails sent to `address`, once there are `count`: the link is sent after the answer. */
async function mailsTo(address: string, count = 1) {
  return vi.waitFor(async () => {
    const mails = await sentTo(address);
    expect(mails).toHaveLength(count);
    return mails;
  });
}

const secretIn = (text: string) => /#sign-in=([A-Za-z0-9_-]+)/.exec(text)?.[1] ?? "";

/** A vendor onboarded by invite: its sign-in address and id. */
async function account() {
  const email = `${uid("v")}@shop.example`;
  const ops = await tokenFor("ops");
  const inv = await api("POST", "/v1/onboarding/invites", { token: ops, body: { email } });
  const secret = new URL(inv.body.link).hash.replace("#invite=", "");
  const opened = await api("POST", "/v1/onboarding/invites/accept", { body: { token: secret } });
  expect(opened.status).toBe(201);
  return { email, vendorId: opened.body.vendorId as string };
}

const ask = (email: string) => api("POST", "/v1/onboarding/sign-in-links", { body: { email } });

describe("sign-in links", () => {
  it("emails a one-time link through the email channel; it signs in once, on any device", async () => {
    const a = await account();
    const asked = await ask(a.email.toUpperCase());
    expect(asked.status).toBe(202);
    const [mail] = await mailsTo(a.email);
    expect(mail!.body.subject).toBe("Your sign-in link");
    expect(mail!.body.text).toContain("https://oms.test/vendor/welcome#sign-in=");
    const secret = secretIn(mail!.body.text);

    const first = await api("POST", "/v1/onboarding/sign-in", { body: { token: secret } });
    expect(first.status).toBe(201);
    expect(first.body.vendorId).toBe(a.vendorId);
    expect((await api("GET", `/v1/onboarding/${a.vendorId}`, { token: first.body.token })).status).toBe(200);

    const again = await api("POST", "/v1/onboarding/sign-in", { body: { token: secret } });
    expect(again.status).toBe(410);
    expect(again.body).toMatchObject({ code: "LINK_USED", detail: "This sign-in link was already used" });
    // The link was mailed, not kept: D1 holds only its hash.
    const stored = await env.DB.prepare("select token_hash from vendor_sign_in_links where vendor_id = ?")
      .bind(a.vendorId)
      .first<{ token_hash: string }>();
    expect(stored!.token_hash).not.toContain(secret);
    expect(stored!.token_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("an expired link is refused with a clear error", async () => {
    const a = await account();
    await ask(a.email);
    const secret = secretIn((await mailsTo(a.email))[0]!.body.text);
    await env.DB.prepare("update vendor_sign_in_links set expires_at = '2020-01-01T00:00:00Z' where vendor_id = ?")
      .bind(a.vendorId)
      .run();
    const r = await api("POST", "/v1/onboarding/sign-in", { body: { token: secret } });
    expect(r.status).toBe(410);
    expect(r.body).toMatchObject({ code: "LINK_EXPIRED" });
  });

  it("answers an unknown address the same, and sends it nothing", async () => {
    const nobody = `${uid("nobody")}@shop.example`;
    const r = await ask(nobody);
    expect(r.status).toBe(202);
    expect(r.body).toEqual({ status: "sent_if_known" });
    expect(await sentTo(nobody)).toEqual([]);
  });

  it("answers alike when the provider refuses the mail, so an answer never tells an address has an account", async () => {
    const a = await account();
    await fetch(`${fakeBase()}/_fake/script`, {
      method: "POST",
      body: JSON.stringify({ recipient: a.email, statuses: [500, 500, 500] }),
    });
    const r = await ask(a.email);
    expect([r.status, r.body]).toEqual([202, { status: "sent_if_known" }]);
    const [refused] = await mailsTo(a.email);
    expect(refused!.status).toBe(500);
  });

  it("limits links per address an hour, known or not, with Retry-After", async () => {
    const a = await account();
    for (let i = 0; i < 5; i++) expect((await ask(a.email)).status).toBe(202);
    const sixth = await ask(a.email);
    expect(sixth.status).toBe(429);
    expect(sixth.body.code).toBe("RATE_LIMITED");
    expect(Number(sixth.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await mailsTo(a.email, 5)).toHaveLength(5);
    const nobody = `${uid("nobody")}@shop.example`;
    for (let i = 0; i < 5; i++) await ask(nobody);
    expect((await ask(nobody)).status).toBe(429);
  });
});
