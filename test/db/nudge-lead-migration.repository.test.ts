import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { uid } from "../support/api";

const queriesOf = (prefix: string) => env.TEST_MIGRATIONS.find((m) => m.name.startsWith(prefix))!.queries;

// 0034 counted each vendor's lead in minutes from its hours. A 1-hour-SLA vendor could only have had
// 0 hours, so it came through never nudged; 0037 gives it the 30 minutes such a vendor gets since.
describe("migrations 0034 and 0037: the nudge lead in minutes", () => {
  it("gives a 1-hour-SLA vendor carried over at 0 its 30 minutes, and leaves every other lead as it was", async () => {
    const vendor = (sla: number, leadHours: number) => ({ id: uid("ven_m"), sla, leadHours });
    const vendors = [vendor(1, 0), vendor(18, 6), vendor(18, 0), vendor(2, 1)];
    await env.DB.batch(
      vendors.map((v) =>
        env.DB.prepare(
          "insert into vendors (id, name, commission_bps, hourly_capacity, dispatch_sla_hours, nudge_lead_hours, created_at) values (?, 'Migrated', 1000, 100, ?, ?, '2026-11-01T00:00:00Z')",
        ).bind(v.id, v.sla, v.leadHours),
      ),
    );
    // As 0034 left them, then 0037 as a deploy applies it.
    await env.DB.batch(
      [
        ...queriesOf("0034_").filter((q) => q.startsWith("UPDATE") || q.includes("\nUPDATE")),
        ...queriesOf("0037_"),
      ].map((q) => env.DB.prepare(q)),
    );
    const rows = await env.DB.prepare(
      `select id, nudge_lead_minutes as minutes from vendors where id in (select value from json_each(?))`,
    )
      .bind(JSON.stringify(vendors.map((v) => v.id)))
      .all<{ id: string; minutes: number }>();
    const minutes = new Map(rows.results.map((r) => [r.id, r.minutes]));
    expect(vendors.map((v) => minutes.get(v.id))).toEqual([30, 360, 0, 60]);
  });
});
