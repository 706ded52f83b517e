import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, api, uid } from "../support/api";
import { newVendor, newVendorWithToken } from "../support/catalog";

// The nudge lead is minutes; nudgeLeadHours stays for older clients as the whole hours of it.

const vendorBody = (fields: Record<string, unknown>) => ({
  name: `Nudge ${uid()}`,
  commissionBps: 1000,
  hourlyCapacity: 10,
  ...fields,
});

const lead = (v: { nudgeLeadMinutes: number; nudgeLeadHours: number }) => ({
  minutes: v.nudgeLeadMinutes,
  hours: v.nudgeLeadHours,
});

async function storedHours(vendorId: string) {
  const row = await env.DB.prepare("select nudge_lead_hours as h from vendors where id = ?")
    .bind(vendorId)
    .first<{ h: number }>();
  return row?.h;
}

describe("a vendor's nudge lead", () => {
  it("defaults to a lead every SLA can use, a 1-hour SLA included", async () => {
    const cases: [number, number][] = [
      [1, 30],
      [2, 60],
      [4, 180],
      [7, 360],
      [18, 360],
    ];
    for (const [sla, minutes] of cases) {
      const v = await newVendor({ dispatchSlaHours: sla });
      expect({ sla, ...lead(v) }).toEqual({ sla, minutes, hours: Math.floor(minutes / 60) });
    }
  });

  it("takes minutes or hours on create, below the SLA, never both", async () => {
    const quick = await newVendor({ dispatchSlaHours: 1, nudgeLeadMinutes: 45 });
    expect(lead(quick)).toEqual({ minutes: 45, hours: 0 });
    const hourly = await newVendor({ dispatchSlaHours: 4, nudgeLeadHours: 2 });
    expect(lead(hourly)).toEqual({ minutes: 120, hours: 2 });
    expect(await storedHours(hourly.id)).toBe(2);

    const refused: [Record<string, unknown>, string][] = [
      [{ dispatchSlaHours: 1, nudgeLeadMinutes: 60 }, "nudgeLeadMinutes"],
      [{ dispatchSlaHours: 1, nudgeLeadMinutes: 61 }, "nudgeLeadMinutes"],
      [{ dispatchSlaHours: 1, nudgeLeadHours: 1 }, "nudgeLeadHours"],
      [{ nudgeLeadMinutes: 18 * 60 }, "nudgeLeadMinutes"],
      [{ nudgeLeadMinutes: -1 }, "nudgeLeadMinutes"],
      [{ nudgeLeadMinutes: 12.5 }, "nudgeLeadMinutes"],
      [{ nudgeLeadMinutes: 30, nudgeLeadHours: 0 }, "nudgeLeadMinutes"],
    ];
    for (const [fields, path] of refused) {
      const r = await api("POST", "/v1/vendors", { token: ADMIN, body: vendorBody(fields) });
      expect({ fields, status: r.status }).toEqual({ fields, status: 422 });
      expect(r.headers.get("content-type")).toContain("application/problem+json");
      expect(r.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    }
  });

  it("lets a vendor set its own lead in minutes, below its SLA", async () => {
    const { vendor, vendorId, token } = await newVendorWithToken({ dispatchSlaHours: 1 });
    const own = await api("PATCH", `/v1/vendors/${vendorId}`, { token, body: { nudgeLeadMinutes: 20 } });
    expect(own.status).toBe(200);
    expect(lead(own.body)).toEqual({ minutes: 20, hours: 0 });

    for (const minutes of [60, 90]) {
      const tooLate = await api("PATCH", `/v1/vendors/${vendorId}`, { token, body: { nudgeLeadMinutes: minutes } });
      expect(tooLate.status).toBe(422);
      expect(tooLate.body.errors[0].path).toBe("nudgeLeadMinutes");
    }
    const both = await api("PATCH", `/v1/vendors/${vendorId}`, {
      token,
      body: { nudgeLeadMinutes: 10, nudgeLeadHours: 0 },
    });
    expect(both.status).toBe(422);
    expect(both.body.errors[0].path).toBe("nudgeLeadMinutes");
    const read = (await api("GET", `/v1/vendors/${vendorId}`, { token })).body;
    expect(read).toEqual({ ...vendor, nudgeLeadMinutes: 20, nudgeLeadHours: 0 });
  });

  it("reads whole hours rounded down and writes hours as minutes, for older clients", async () => {
    const { vendorId, token } = await newVendorWithToken({ dispatchSlaHours: 4 });
    const odd = await api("PATCH", `/v1/vendors/${vendorId}`, { token, body: { nudgeLeadMinutes: 150 } });
    expect(lead(odd.body)).toEqual({ minutes: 150, hours: 2 });
    expect(await storedHours(vendorId)).toBe(2);
    const hours = await api("PATCH", `/v1/vendors/${vendorId}`, { token, body: { nudgeLeadHours: 1 } });
    expect(hours.status).toBe(200);
    expect(lead(hours.body)).toEqual({ minutes: 60, hours: 1 });
    const tooLate = await api("PATCH", `/v1/vendors/${vendorId}`, { token, body: { nudgeLeadHours: 4 } });
    expect(tooLate.status).toBe(422);
    expect(tooLate.body.errors[0].path).toBe("nudgeLeadHours");
  });

  it("refuses an SLA shortened to or below the lead it would leave", async () => {
    const v = await newVendor({ dispatchSlaHours: 4, nudgeLeadMinutes: 150 });
    const shorter = await api("PATCH", `/v1/vendors/${v.id}`, { token: ADMIN, body: { dispatchSlaHours: 2 } });
    expect(shorter.status).toBe(422);
    expect(shorter.body.errors[0].path).toBe("dispatchSlaHours");
    const both = await api("PATCH", `/v1/vendors/${v.id}`, {
      token: ADMIN,
      body: { dispatchSlaHours: 1, nudgeLeadMinutes: 30 },
    });
    expect(both.status).toBe(200);
    expect({ sla: both.body.dispatchSlaHours, ...lead(both.body) }).toEqual({ sla: 1, minutes: 30, hours: 0 });
  });
});
