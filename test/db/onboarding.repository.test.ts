import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { database } from "../../src/db/client";
import { findOnboarding, moveOnboarding } from "../../src/db/onboarding";
import { uid } from "../support/api";
import { newVendor, newWarehouse } from "../support/catalog";

const AT = "2031-04-01T10:00:00Z";

/** A vendor waiting for ops' review with its essentials in: a name, a contact and one active warehouse. */
async function submittedVendor() {
  const vendor = await newVendor({ contactEmail: `${uid("c")}@shop.example` });
  const warehouse = await newWarehouse(vendor.id);
  await env.DB.batch([
    env.DB.prepare("update vendors set onboarding = 'submitted' where id = ?").bind(vendor.id),
    env.DB.prepare(
      "insert into vendor_onboarding (vendor_id, step, submitted_at, updated_at) values (?, 'review', ?, ?)",
    ).bind(vendor.id, AT, AT),
  ]);
  return { vendorId: vendor.id as string, warehouseId: warehouse.id as string };
}

const approve = (vendorId: string) =>
  moveOnboarding(database(env), {
    vendorId,
    from: ["submitted"],
    to: "approved",
    progress: { decidedAt: AT, rejectReason: null },
    at: AT,
    essentials: true,
  });

describe("moving onboarding to approved", () => {
  it("stays submitted when its only warehouse was deactivated after the essentials were read", async () => {
    const v = await submittedVendor();
    const read = await findOnboarding(database(env), v.vendorId);
    expect(read).toMatchObject({ state: "submitted", missing: [] });
    // The vendor API stays open during the review: the warehouse goes between the read and the write.
    await env.DB.prepare("update warehouses set status = 'inactive' where id = ?").bind(v.warehouseId).run();

    expect(await approve(v.vendorId)).toBe(false);
    expect(await findOnboarding(database(env), v.vendorId)).toMatchObject({
      state: "submitted",
      decidedAt: null,
      missing: ["warehouses"],
    });
  });

  it("stays submitted when its contact was cleared or its name blanked, and moves with every essential in", async () => {
    const cleared = await submittedVendor();
    await env.DB.prepare("update vendors set contact_email = null where id = ?").bind(cleared.vendorId).run();
    expect(await approve(cleared.vendorId)).toBe(false);
    const blank = await submittedVendor();
    await env.DB.prepare("update vendors set name = '  ' where id = ?").bind(blank.vendorId).run();
    expect(await approve(blank.vendorId)).toBe(false);

    const ready = await submittedVendor();
    expect(await approve(ready.vendorId)).toBe(true);
    expect(await findOnboarding(database(env), ready.vendorId)).toMatchObject({ state: "approved", decidedAt: AT });
  });
});
