import type { Actor } from "../domain/principal";

export type ReassignInput = {
  subOrderId: string;
  lines?: { lineId: string; qty?: number }[];
  target:
    | { warehouseId: string }
    | { skuId: string; warehouseId?: string }
    | { vendorId?: string; warehouseId?: string };
  reason: string;
  /**
   * The caller's Idempotency-Key: the same key and body again is the same reassignment, answered
   * as done and never moved twice (persist.ts `landedBefore`).
   */
  key: string;
  actor: Actor;
  now: Date;
};

export type ReassignRefusal = {
  ok: false;
  code: "NOT_FOUND" | "ILLEGAL_TRANSITION" | "OUT_OF_STOCK" | "VALIDATION_FAILED" | "CONFLICT";
  detail: string;
  allowed?: string[];
};

export type ReassignOutcome = { ok: true; orderId: string } | ReassignRefusal;

export const refused = (code: ReassignRefusal["code"], detail: string, allowed?: string[]): ReassignRefusal => ({
  ok: false,
  code,
  detail,
  ...(allowed ? { allowed } : {}),
});
