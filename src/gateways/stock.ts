import type { SkuStock } from "../../durable-objects/sku-stock";
import type {
  AdjustInput,
  Allocation,
  BridgeInput,
  BridgeResult,
  CountResult,
  ReserveRequest,
  SetOnHandInput,
  StockChangeResult,
  StockSnapshot,
} from "../../durable-objects/sku-stock-rpc";

export type {
  AdjustInput,
  AdjustReason,
  Allocation,
  BridgeInput,
  BridgeResult,
  BridgeRow,
  BridgeRowResult,
  CountResult,
  HoldResult,
  HoldRow,
  HoldStatus,
  LedgerEntry,
  LedgerKind,
  ReallocateRequest,
  ReallocateResult,
  ReserveRequest,
  ReserveResult,
  SetOnHandInput,
  StockChangeResult,
  StockSnapshot,
  WarehouseStock,
} from "../../durable-objects/sku-stock-rpc";

/** Each SKU is its own single-writer shard: its stock object is found by the SKU id alone. */
export function stockObject(env: Env, skuId: string): DurableObjectStub<SkuStock> {
  return env.SKU_STOCK.get(env.SKU_STOCK.idFromName(skuId));
}

export type Shortage = { skuId: string; requested: number; available: number };

export type ReserveAllResult =
  | { ok: true; allocations: Map<string, Allocation[]> }
  | {
      ok: false;
      shortages: Shortage[];
      limit?: { skuId: string; limit: number; current: number };
      addressLimit?: { skuId: string; limit: number; retryAfterMs: number };
      closed?: string[];
    };

/**
 * Reserves every SKU under one hold id, one RPC per SKU in parallel. All or nothing across SKUs:
 * if any SKU answers no (or its call fails), every hold already taken is released before answering,
 * so a short cart strands nothing. Requests must name each SKU once.
 */
export async function reserveAll(
  env: Env,
  holdId: string,
  requests: Omit<ReserveRequest, "holdId">[],
): Promise<ReserveAllResult> {
  const skuIds = requests.map((r) => r.skuId);
  if (new Set(skuIds).size !== skuIds.length) throw new Error("reserveAll: each SKU may appear only once");
  const settled = await Promise.allSettled(requests.map((r) => stockObject(env, r.skuId).reserve({ ...r, holdId })));

  const allocations = new Map<string, Allocation[]>();
  const shortages: Shortage[] = [];
  const closed: string[] = [];
  let limit: { skuId: string; limit: number; current: number } | undefined;
  let addressLimit: { skuId: string; limit: number; retryAfterMs: number } | undefined;
  let failure: unknown;
  settled.forEach((s, i) => {
    const skuId = skuIds[i]!;
    if (s.status === "rejected") {
      failure ??= s.reason;
      return;
    }
    const r = s.value;
    if (r.ok) allocations.set(skuId, r.allocations);
    else if (r.code === "OUT_OF_STOCK") shortages.push({ skuId, requested: r.requested, available: r.available });
    else if (r.code === "CUSTOMER_LIMIT") limit ??= { skuId, limit: r.limit, current: r.current };
    else if (r.code === "ADDRESS_LIMIT") addressLimit ??= { skuId, limit: r.limit, retryAfterMs: r.retryAfterMs };
    else closed.push(skuId);
  });

  const allOk = allocations.size === requests.length;
  if (!allOk) await releaseAll(env, holdId, [...allocations.keys()], "checkout_failed");
  if (failure !== undefined) throw failure;
  if (allOk) return { ok: true, allocations };
  return {
    ok: false,
    shortages,
    ...(limit ? { limit } : {}),
    ...(addressLimit ? { addressLimit } : {}),
    ...(closed.length > 0 ? { closed } : {}),
  };
}

/** Commits the hold on every SKU (payment succeeded). Idempotent; failures are listed per SKU. */
export async function commitAll(
  env: Env,
  holdId: string,
  skuIds: string[],
): Promise<{ ok: true } | { ok: false; failed: { skuId: string; code: string }[] }> {
  const results = await Promise.all(skuIds.map((skuId) => stockObject(env, skuId).commit(holdId)));
  const failed = results.flatMap((r, i) => (r.ok ? [] : [{ skuId: skuIds[i]!, code: r.code }]));
  return failed.length === 0 ? { ok: true } : { ok: false, failed };
}

/** Gives the units back (cancellation, failed checkout). Idempotent; a shipped SKU is left as it is. */
export async function releaseAll(env: Env, holdId: string, skuIds: string[], reason: string): Promise<void> {
  await Promise.all(skuIds.map((skuId) => stockObject(env, skuId).release(holdId, reason)));
}

/** Exact stock of one SKU, read from its object (the D1 mirror may lag by a moment). */
export async function snapshotOf(env: Env, skuId: string): Promise<StockSnapshot> {
  const snap = await stockObject(env, skuId).snapshot();
  // An object that has never been written does not know its SKU id yet.
  return { ...snap, skuId };
}

/**
 * Counted levels of one or more warehouses, all or nothing; refused below what is held and committed,
 * or when a level's on-hand version moved since it was counted.
 */
export async function setStockLevels(env: Env, input: SetOnHandInput): Promise<CountResult> {
  return stockObject(env, input.skuId).setOnHand(input);
}

/** A delta with a reason; with `idempotencyKey` (already scoped to the caller) applied at most once. */
export async function adjustStock(env: Env, input: AdjustInput): Promise<StockChangeResult> {
  return stockObject(env, input.skuId).adjust(input);
}

/** A vendor's bridge rows for one SKU, each applied at most once by its row id. */
export async function applyBridgeRows(env: Env, input: BridgeInput): Promise<BridgeResult> {
  return stockObject(env, input.skuId).applyBridge(input);
}
