import type { CounterDrift, SkuStock } from "../../durable-objects/sku-stock";
import type {
  AdjustInput,
  Allocation,
  BridgeInput,
  BridgeResult,
  CountResult,
  LevelsForHold,
  ReserveRequest,
  ReserveResult,
  SetOnHandInput,
  StockChangeResult,
  StockSnapshot,
} from "../../durable-objects/sku-stock-rpc";
import { setBounded } from "../domain/bounded-map";
import type { Background } from "../platform/background";
import { SharedLanes } from "../platform/shared-turns";

export type { CounterDrift } from "../../durable-objects/sku-stock";
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
  return stubOf(env.SKU_STOCK, skuId);
}

function stubOf(ns: DurableObjectNamespace<SkuStock>, skuId: string): DurableObjectStub<SkuStock> {
  return ns.get(ns.idFromName(skuId));
}

export type Shortage = { skuId: string; requested: number; available: number };

export type ReserveAllResult =
  /** `expiresAt`: the earliest of the holds' expiries, as the objects keep them (a replay keeps its own). */
  | {
      ok: true;
      allocations: Map<string, Allocation[]>;
      expiresAt: number;
      /** SKUs whose hold this hold id had already: an earlier attempt's, which this call must not release. */
      replayed: ReadonlySet<string>;
    }
  | {
      ok: false;
      shortages: Shortage[];
      limit?: { skuId: string; limit: number; current: number };
      addressLimit?: { skuId: string; limit: number; retryAfterMs: number };
      closed?: string[];
    };

type Refusal = Extract<ReserveAllResult, { ok: false }>;
/** What the claims of one `reserveAll` answered so far. */
type Claims = Pick<Refusal, "shortages" | "limit" | "addressLimit"> & {
  allocations: Map<string, Allocation[]>;
  replayed: Set<string>;
  expiresAt: number;
  closed: string[];
  failure?: unknown;
};

// SKUs whose object refused a claim for want of stock moments ago, by when (per isolate). A cart
// holding one asks that object first, alone: once a flash-sale SKU sells out, its carts are turned
// away with one RPC instead of a claim on every SKU and a release of the others. Only the order of
// the claims changes; every answer is still the objects' own.
const SHORT_MEMORY_MS = 2_000;
const MAX_REMEMBERED = 10_000;
const recentlyShort = new Map<string, number>();

/**
 * At most this many claims in one shared call to a SKU's object: the object decides them in one
 * synchronous run, and its other callers (releases, counts, snapshots) wait behind the whole run.
 */
const MAX_CLAIMS_PER_CALL = 64;
const claimLanes = new SharedLanes<DurableObjectNamespace<SkuStock>, ReserveRequest, ReserveResult>((ns, skuId) => ({
  together: (reqs) => stubOf(ns, skuId).reserveMany(reqs),
  alone: (one) => stubOf(ns, skuId).reserve(one),
  weight: () => 1,
  maxWeight: MAX_CLAIMS_PER_CALL,
}));

/**
 * One claim, sent with the other claims on the same SKU waiting in this isolate (platform/shared-turns):
 * under a burst on a hot SKU, one RPC and one storage commit of its object serve a group of claims.
 * The object answers each as it would alone, so a refusal is still that claim's own; a failed shared
 * call is repeated claim by claim, which the hold id makes safe (a claim that landed replays).
 */
export function claimStock(env: Env, req: ReserveRequest, background: Background | undefined): Promise<ReserveResult> {
  return claimLanes.call(env.SKU_STOCK, req.skuId, req, background);
}

async function claimEach(
  env: Env,
  holdId: string,
  requests: Omit<ReserveRequest, "holdId">[],
  into: Claims,
  background: Background | undefined,
) {
  const settled = await Promise.allSettled(requests.map((r) => claimStock(env, { ...r, holdId }, background)));
  settled.forEach((s, i) => {
    const skuId = requests[i]!.skuId;
    if (s.status === "rejected") {
      into.failure ??= s.reason;
      return;
    }
    const r = s.value;
    if (r.ok) {
      into.allocations.set(skuId, r.allocations);
      if (r.replayed) into.replayed.add(skuId);
      into.expiresAt = Math.min(into.expiresAt, r.expiresAt);
      recentlyShort.delete(skuId);
    } else if (r.code === "OUT_OF_STOCK") {
      into.shortages.push({ skuId, requested: r.requested, available: r.available });
      setBounded(recentlyShort, skuId, Date.now(), MAX_REMEMBERED);
    } else if (r.code === "CUSTOMER_LIMIT") into.limit ??= { skuId, limit: r.limit, current: r.current };
    else if (r.code === "ADDRESS_LIMIT") into.addressLimit ??= { skuId, limit: r.limit, retryAfterMs: r.retryAfterMs };
    else into.closed.push(skuId);
  });
}

/**
 * Reserves every SKU under one hold id, one claim per SKU in parallel, each shared with the other
 * checkouts' claims on that SKU (`claimStock`; `background` holds a waiting claim's request open).
 * All or nothing across SKUs: if any SKU answers no (or its call fails), every hold this call took
 * is released before answering (unless paid meanwhile), so a short cart strands nothing; one it found already held under
 * the same id (`replayed`: an earlier attempt's) stays. One SKU that was short moments ago
 * is asked first (see `recentlyShort`); if it still is, the others are not asked, and the
 * shortages name only it. Requests must name each SKU once.
 */
export async function reserveAll(
  env: Env,
  holdId: string,
  requests: Omit<ReserveRequest, "holdId">[],
  background?: Background,
): Promise<ReserveAllResult> {
  const skuIds = requests.map((r) => r.skuId);
  if (new Set(skuIds).size !== skuIds.length) throw new Error("reserveAll: each SKU may appear only once");
  const claims: Claims = {
    allocations: new Map(),
    replayed: new Set(),
    expiresAt: Number.POSITIVE_INFINITY,
    shortages: [],
    closed: [],
  };
  const now = Date.now();
  const wasShort = (skuId: string) => now - (recentlyShort.get(skuId) ?? Number.NEGATIVE_INFINITY) < SHORT_MEMORY_MS;
  const lead = requests.find((r) => wasShort(r.skuId));
  const rest = requests.filter((r) => r !== lead);
  if (lead && rest.length > 0) {
    await claimEach(env, holdId, [lead], claims, background);
    if (claims.allocations.size === 1 && claims.failure === undefined)
      await claimEach(env, holdId, rest, claims, background);
  } else await claimEach(env, holdId, requests, claims, background);

  const { allocations, replayed, expiresAt, shortages, closed, limit, addressLimit, failure } = claims;
  const allOk = allocations.size === requests.length;
  // A replayed claim is the hold an earlier attempt under this id took (perhaps for an order it wrote).
  const taken = [...allocations.keys()].filter((skuId) => !replayed.has(skuId));
  // Only what is still unpaid: another request under this hold id (the same late payment, applied
  // by its webhook and by the expiry job at once) may have taken a hold this call made as a replay
  // and committed it meanwhile.
  if (!allOk) await releaseUnpaid(env, holdId, taken, "checkout_failed");
  if (failure !== undefined) throw failure;
  if (allOk) return { ok: true, allocations, expiresAt, replayed };
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

/**
 * A checkout's own clean-up: gives back what is still only held, never a hold a payment committed.
 * Another request under the same hold id (a duplicate of the checkout) may have written the order
 * and had it paid meanwhile: its paid units must not go back on sale.
 */
export async function releaseUnpaid(env: Env, holdId: string, skuIds: readonly string[], reason: string) {
  await Promise.all(skuIds.map((skuId) => stockObject(env, skuId).release(holdId, reason, { unpaidOnly: true })));
}

/** Exact stock of one SKU, read from its object (the D1 mirror may lag by a moment). */
export async function snapshotOf(env: Env, skuId: string): Promise<StockSnapshot> {
  const snap = await stockObject(env, skuId).snapshot();
  // An object that has never been written does not know its SKU id yet.
  return { ...snap, skuId };
}

/** The SKU's warehouses whose held and committed counters disagree with its hold rows (see `SkuStock.audit`). */
export function counterDrift(env: Env, skuId: string): Promise<CounterDrift[]> {
  return stockObject(env, skuId).audit();
}

/**
 * Each SKU's stock object pushes its storefront count again, now that a warehouse opened or closed,
 * and takes no claim there while it is closed.
 */
export async function sellersChanged(
  env: Env,
  skuIds: readonly string[],
  warehouse: { warehouseId: string; closed: boolean },
): Promise<void> {
  await Promise.all(skuIds.map((skuId) => stockObject(env, skuId).sellerChanged(warehouse)));
}

/** One SKU's available units as a claim under `holdId` would find them (see `LevelsForHold`). */
export function levelsForHold(env: Env, skuId: string, holdId: string): Promise<LevelsForHold> {
  return stockObject(env, skuId).levelsForHold(holdId);
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
