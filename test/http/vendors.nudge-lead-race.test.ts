import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN } from "../support/api";
import { afterFirstRead, apiWith } from "../support/bindings";
import { newVendorWithToken } from "../support/catalog";

const patchWith = (bindings: Env, vendorId: string, token: string, body: unknown) =>
  apiWith(bindings, "PATCH", `/v1/vendors/${vendorId}`, token, body);

/** The bindings with `meanwhile` run once, right after the route has read the vendor (its wire shape) and before it writes. */
const afterVendorRead = (meanwhile: () => Promise<unknown>) =>
  afterFirstRead(/"nudge_lead_minutes" \/ 60.*from "vendors" where "vendors"."id" = \?/, meanwhile);

const stored = (vendorId: string) =>
  env.DB.prepare("select dispatch_sla_hours as sla, nudge_lead_minutes as lead, name from vendors where id = ?")
    .bind(vendorId)
    .first<{ sla: number; lead: number; name: string }>();

describe("a vendor's nudge lead and its SLA changed at once", () => {
  it("a lead checked against the SLA it read is refused once an admin has shortened the SLA below it", async () => {
    const { vendorId, token } = await newVendorWithToken({ dispatchSlaHours: 24, nudgeLeadMinutes: 360 });
    const slaShortened = afterVendorRead(() =>
      env.DB.prepare("update vendors set dispatch_sla_hours = 4 where id = ?").bind(vendorId).run(),
    );

    const r = await patchWith(slaShortened, vendorId, token, { nudgeLeadMinutes: 600 });
    expect(r.status).toBe(422);
    expect(r.body.errors).toEqual([
      {
        path: "nudgeLeadMinutes",
        message: "the nudge lead (600 minutes) must be less than dispatchSlaHours (4 hours)",
      },
    ]);
    expect(await stored(vendorId)).toMatchObject({ sla: 4, lead: 360 });
  });

  it("an SLA checked against the lead it read is refused once the vendor has lengthened the lead past it", async () => {
    const { vendorId } = await newVendorWithToken({ dispatchSlaHours: 24, nudgeLeadMinutes: 120 });
    const leadLengthened = afterVendorRead(() =>
      env.DB.prepare("update vendors set nudge_lead_minutes = 600, nudge_lead_hours = 10 where id = ?")
        .bind(vendorId)
        .run(),
    );

    const r = await patchWith(leadLengthened, vendorId, ADMIN, { dispatchSlaHours: 4, name: "Shortened" });
    expect(r.status).toBe(422);
    expect(r.body.errors[0].path).toBe("dispatchSlaHours");
    expect(await stored(vendorId)).toMatchObject({ sla: 24, lead: 600, name: expect.not.stringMatching("Shortened") });
  });

  it("a suspension sent with such an SLA is not made either, nor ops alerted", async () => {
    const { vendorId } = await newVendorWithToken({ dispatchSlaHours: 18, nudgeLeadMinutes: 120 });
    const leadLengthened = afterVendorRead(() =>
      env.DB.prepare("update vendors set nudge_lead_minutes = 300, nudge_lead_hours = 5 where id = ?")
        .bind(vendorId)
        .run(),
    );

    const r = await patchWith(leadLengthened, vendorId, ADMIN, { status: "suspended", dispatchSlaHours: 4 });
    expect(r.status).toBe(422);
    const row = await env.DB.prepare("select status from vendors where id = ?")
      .bind(vendorId)
      .first<{ status: string }>();
    expect(row?.status).toBe("active");
    const alerts = await env.DB.prepare("select count(*) as n from notifications where payload like ?")
      .bind(`%${vendorId}%`)
      .first<{ n: number }>();
    expect(alerts?.n).toBe(0);
  });
});
