import { countUnitsForAddress } from "../gateways/address-limits";
import { releaseAll } from "../gateways/stock";
import type { Held } from "./allocate";
import type { Attempt } from "./attempt";
import type { Answered } from "./outcome";

/**
 * Counts the held units against the client address, across every guest it signed up: the
 * per-customer caps alone reset with each new guest. Runs after the stock claim, so the counter
 * only ever knows holds that exist; a refusal gives the stock back, so a 429 holds nothing.
 */
export async function countForAddress(a: Attempt, held: Held): Promise<Answered | null> {
  const counted = await countUnitsForAddress(a.env, {
    address: a.clientAddress,
    holdId: a.holdId,
    expiresAt: a.holdExpiresAt.getTime(),
    max: a.cfg.maxHeldUnitsPerIpPerSku,
    lines: held.plan.reservations.map((r) => ({ skuId: r.skuId, qty: r.qty })),
  });
  if (counted.ok) return null;
  await releaseAll(a.env, a.holdId, held.skuIds, "address_limit");
  return {
    answer: {
      ok: false,
      code: "RATE_LIMITED",
      detail: `At most ${counted.limit} units of ${counted.skuId} may be held at once from one client address`,
      retryAfterSeconds: counted.retryAfterSeconds,
    },
  };
}
