import {
  CreateVendor,
  defaultNudgeLeadMinutes,
  nudgeLeadIssue,
  requestedNudgeLeadMinutes,
  UpdateVendor,
  Vendor,
  VendorParams,
  vendorEditableFields,
} from "../../contracts/catalog";
import { json, jsonBody, ListQuery, page, problemResponses } from "../../contracts/common";
import { type Db, database } from "../../db/client";
import { otherHolderOf } from "../../db/payout-accounts";
import { findVendor, insertVendor, listVendors, suspendVendor, updateVendor } from "../../db/vendors";
import { newId } from "../../domain/ids";
import { isoSeconds } from "../../domain/time";
import { router } from "../context";
import { ApiError, validationError } from "../errors";
import { defineRoute } from "../route";
import { actsFor, notFound, pageStart, principalOf } from "../scope";

const create = defineRoute({
  method: "post",
  path: "/vendors",
  access: ["admin"],
  summary: "Onboard a vendor",
  request: jsonBody(CreateVendor),
  responses: { 201: json(Vendor, "Created"), ...problemResponses },
});

const list = defineRoute({
  method: "get",
  path: "/vendors",
  access: ["admin", "ops", "vendor"],
  summary: "List vendors by name",
  description: "A vendor's list holds only itself.",
  request: { query: ListQuery },
  responses: { 200: json(page(Vendor), "A page of vendors"), ...problemResponses },
});

const read = defineRoute({
  method: "get",
  path: "/vendors/{vendorId}",
  access: ["admin", "ops", "vendor"],
  summary: "Read a vendor",
  description: "A vendor may read only itself; any other id is 404.",
  request: { params: VendorParams },
  responses: { 200: json(Vendor, "The vendor"), ...problemResponses },
});

const update = defineRoute({
  method: "patch",
  path: "/vendors/{vendorId}",
  access: ["admin", "vendor"],
  summary: "Change a vendor",
  description:
    `Admin may change every field. The owning vendor may change only ${vendorEditableFields.join(", ")}: ` +
    "status, commissionBps, dispatchSlaHours and payoutAccountId belong to the platform (a vendor sending them gets " +
    "403 and nothing changes; payouts must not be redirectable with a vendor token). Another vendor's id is 404. " +
    "The nudge lead (nudgeLeadMinutes, or nudgeLeadHours in whole hours; one of them) must stay below " +
    "dispatchSlaHours, checked again as the change is written (422 if the other changed meanwhile). " +
    "A payoutAccountId another vendor holds is 409. Suspending a vendor holds its payouts back " +
    "until it is active again and, on the change only, queues one ops alert (vendor_suspended_open_orders) " +
    "with the count of its sub-orders still paid, confirmed or packed, when it has any.",
  request: { params: VendorParams, ...jsonBody(UpdateVendor) },
  responses: { 200: json(Vendor, "The vendor after the change"), ...problemResponses },
});

/** 409 if another vendor than `vendorId` already holds the payout account. */
async function accountFree(db: Db, accountId: string | null | undefined, vendorId: string | null) {
  if (!accountId) return;
  const holder = await otherHolderOf(db, accountId, vendorId);
  if (holder) {
    throw new ApiError("CONFLICT", `Payout account ${accountId} is already vendor ${holder}'s`, {
      errors: [{ path: "payoutAccountId", message: "another vendor holds this account" }],
    });
  }
}

export const vendors = router()
  .openapi(create, async (c) => {
    const body = c.req.valid("json");
    await accountFree(database(c.env), body.payoutAccountId, null);
    const vendor = await insertVendor(database(c.env), {
      id: newId("ven"),
      name: body.name,
      status: "active",
      dispatchSlaHours: body.dispatchSlaHours,
      nudgeLeadMinutes: requestedNudgeLeadMinutes(body) ?? defaultNudgeLeadMinutes(body.dispatchSlaHours),
      commissionBps: body.commissionBps,
      hourlyCapacity: body.hourlyCapacity,
      payoutAccountId: body.payoutAccountId ?? null,
      contactPhone: body.contactPhone ?? null,
      contactEmail: body.contactEmail ?? null,
      createdAt: isoSeconds(new Date()),
      // Made by an admin, so approved by one: it sells at once, as vendors always have.
      onboarding: "approved",
    });
    return c.json(vendor, 201);
  })
  .openapi(list, async (c) => {
    const p = principalOf(c);
    const q = c.req.valid("query");
    const result = await listVendors(database(c.env), {
      limit: q.limit,
      after: pageStart(q.cursor),
      ...(p.role === "vendor" ? { onlyId: p.vendorId } : {}),
    });
    return c.json(result, 200);
  })
  .openapi(read, async (c) => {
    const { vendorId } = c.req.valid("param");
    const vendor = actsFor(principalOf(c), vendorId) ? await findVendor(database(c.env), vendorId) : null;
    if (!vendor) throw notFound("vendor", vendorId);
    return c.json(vendor, 200);
  })
  .openapi(update, async (c) => {
    const p = principalOf(c);
    const { vendorId } = c.req.valid("param");
    const patch = c.req.valid("json");
    const db = database(c.env);
    const current = actsFor(p, vendorId) ? await findVendor(db, vendorId) : null;
    if (!current) throw notFound("vendor", vendorId);
    if (p.role === "vendor") {
      const editable: readonly string[] = vendorEditableFields;
      const refused = Object.keys(patch).filter((k) => !editable.includes(k));
      if (refused.length > 0) {
        throw new ApiError("FORBIDDEN", `Only an admin may change ${refused.join(", ")}`, {
          errors: refused.map((path) => ({ path, message: "only an admin may change this field" })),
        });
      }
    }
    const leadIssue = (v: Vendor) =>
      nudgeLeadIssue(patch, patch.dispatchSlaHours ?? v.dispatchSlaHours, v.nudgeLeadMinutes);
    const issue = leadIssue(current);
    if (issue) throw validationError([issue]);
    await accountFree(db, patch.payoutAccountId, vendorId);
    // Suspending is more than a field: ops are told of the sub-orders still waiting on the vendor.
    if (patch.status === "suspended") await suspendVendor(db, current, isoSeconds(new Date()), patch);
    const vendor = await updateVendor(db, vendorId, patch);
    if (!vendor) {
      // The write keeps the lead below the SLA itself: one of them changed since the read above.
      const fresh = await findVendor(db, vendorId);
      if (!fresh) throw notFound("vendor", vendorId);
      const raced = leadIssue(fresh);
      if (raced) throw validationError([raced]);
      throw new ApiError("CONFLICT", `Vendor ${vendorId} changed while this edit was made: read it again and retry`);
    }
    return c.json(vendor, 200);
  });
