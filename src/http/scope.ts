import type { Context } from "hono";
import { type After, readCursor } from "../db/paging";
import type { Principal } from "../domain/principal";
import type { AppEnv } from "./context";
import { ApiError, validationError } from "./errors";

/** The caller on a route whose access rule already refused anonymous requests. */
export function principalOf(c: Context<AppEnv>): Principal {
  const p = c.get("principal");
  if (!p) throw new ApiError("UNAUTHENTICATED");
  return p;
}

/** A vendor acts only for itself; every other role that reached the route acts for any vendor. */
export function actsFor(p: Principal, vendorId: string): boolean {
  return p.role !== "vendor" || p.vendorId === vendorId;
}

/**
 * 404 for another vendor's resource, worded exactly like a missing one, so a vendor cannot
 * learn which ids exist elsewhere.
 */
export function notFound(what: string, id: string): ApiError {
  return new ApiError("NOT_FOUND", `No ${what} ${id}`);
}

export function pageStart(cursor: string | undefined): After | undefined {
  const after = readCursor(cursor);
  if (after === null) throw validationError([{ path: "cursor", message: "not a cursor from this list" }]);
  return after;
}
