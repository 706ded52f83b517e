export const roles = ["admin", "ops", "vendor", "customer"] as const;
export type Role = (typeof roles)[number];

export type Principal =
  | { role: "admin"; tokenId: string }
  | { role: "ops"; tokenId: string }
  | { role: "vendor"; tokenId: string; vendorId: string }
  | { role: "customer"; tokenId: string; customerId: string };

/**
 * The bootstrap admin token's id: it is configuration (ADMIN_BOOTSTRAP_TOKEN), not a row. Nothing
 * revokes it but a new secret, and deploying one restarts every object and drops its sockets.
 */
export const BOOTSTRAP_TOKEN_ID = "bootstrap";

/** Who an event is attributed to on a timeline. */
export type Actor = { role: Role | "system"; id: string | null };

export function actorOf(p: Principal): Actor {
  switch (p.role) {
    case "vendor":
      return { role: "vendor", id: p.vendorId };
    case "customer":
      return { role: "customer", id: p.customerId };
    default:
      return { role: p.role, id: p.tokenId };
  }
}

/** Whether `p` may see and change a vendor's stock exactly: admins, ops and that vendor. */
export function managesStockOf(p: Principal | null, vendorId: string): boolean {
  return p?.role === "admin" || p?.role === "ops" || (p?.role === "vendor" && p.vendorId === vendorId);
}

export const systemActor = (job: string): Actor => ({ role: "system", id: job });
