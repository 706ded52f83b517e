/**
 * The inputs and results of SkuStock's RPC methods: what crosses the stub. Expected refusals are
 * values, since an error thrown over RPC arrives with only its name and message.
 */
import type { Allocation } from "../src/domain/stock-allocation";

export type { Allocation } from "../src/domain/stock-allocation";

export type WarehouseStock = {
  warehouseId: string;
  onHand: number;
  available: number;
  held: number;
  committed: number;
  /**
   * The on-hand version of this level: moves with every change of on hand (count, adjustment,
   * shipment, return), never with holds or commits. 0 stands for a level that does not exist yet.
   */
  version: number;
};
export type StockSnapshot = {
  skuId: string;
  version: number;
  warehouses: WarehouseStock[];
  totals: { onHand: number; available: number; held: number; committed: number };
};
/**
 * A SKU's available units as a claim under one hold id finds them: the units that hold already
 * has are its own again (a retried claim is given them back), and whether the hold id was ever used.
 */
export type LevelsForHold = {
  warehouses: { warehouseId: string; available: number }[];
  /** The hold id has claimed this SKU before, whatever became of its units. */
  used: boolean;
};
export type ReserveRequest = {
  skuId: string;
  holdId: string;
  /** integer >= 1 */
  qty: number;
  /** ranked preference, best first; only these may be used */
  warehouses: string[];
  /** epoch ms; the alarm releases the hold after this unless committed */
  expiresAt: number;
  customerId?: string;
  /** cap on this customer's held + committed (not yet shipped) units of this SKU, including this request */
  maxUnitsPerCustomer?: number;
  /** the client address the checkout came from, whichever customer it signed up */
  clientAddress?: string;
  /** cap on the units of this SKU held unpaid (and unexpired) from `clientAddress`, including this request */
  maxUnitsPerAddress?: number;
  /** allow re-reserving a hold id that was released (late payment after expiry) */
  reopen?: boolean;
};
export type ReserveResult =
  | { ok: true; holdId: string; allocations: Allocation[]; expiresAt: number; replayed: boolean }
  | { ok: false; code: "OUT_OF_STOCK"; requested: number; available: number }
  | { ok: false; code: "CUSTOMER_LIMIT"; limit: number; current: number }
  /** `retryAfterMs`: until the earliest of the address's counted holds lapses */
  | { ok: false; code: "ADDRESS_LIMIT"; limit: number; current: number; retryAfterMs: number }
  /** `held`: this hold id holds another quantity of the SKU (an earlier attempt's plan). */
  | { ok: false; code: "HOLD_CLOSED"; status: HoldStatus };
export type HoldResult =
  | { ok: true; allocations: Allocation[] }
  | { ok: false; code: "HOLD_NOT_FOUND" | "HOLD_RELEASED" | "NOT_COMMITTED" | "ALREADY_SHIPPED" | "ALREADY_COMMITTED" };
/** Moves units in or out of an existing order's hold: a manual reassignment of its lines. */
export type ReallocateRequest = {
  skuId: string;
  holdId: string;
  /** Units leaving the hold, from exactly these warehouses; they become available again. */
  take?: Allocation[];
  /** Units joining the hold; each part takes the first ranked warehouse that covers it, else splits in that order. */
  add?: { qty: number; warehouses: string[] }[];
  /**
   * A hold that set units aside for this move: released in the same call, before `add` is placed,
   * so its units join the hold with no moment in which another claim could take them.
   */
  setAside?: string;
  /** How units join when this hold has none of this SKU yet: a paid order's are committed. */
  status: "held" | "committed";
  /** epoch ms, for units joining as held */
  expiresAt: number;
  customerId?: string;
  reason: string;
  actor: string;
  /** Applied once: a retry with the same key answers the first result and changes nothing. */
  key: string;
};
export type ReallocateResult =
  | { ok: true; taken: Allocation[]; added: Allocation[]; allocations: Allocation[]; replayed: boolean }
  | { ok: false; code: "OUT_OF_STOCK"; requested: number; available: number }
  | { ok: false; code: "NOT_HELD"; warehouseId: string; held: number; requested: number }
  | { ok: false; code: "HOLD_CLOSED"; status: HoldStatus }
  | { ok: false; code: "KEY_REUSED" };
/** One warehouse's counted on hand, made against the level's on-hand version it was counted at. */
export type StockCount = {
  warehouseId: string;
  onHand: number;
  /** Required once the level exists; 0 (or leaving it out) is right only for a level not created yet. */
  expectedVersion?: number;
};
/** Counts of one or more warehouses, applied all together or not at all. */
export type SetOnHandInput = { skuId: string; counts: StockCount[]; reason: string; actor: string };
export type StaleLevel = { warehouseId: string; expectedVersion: number | null; version: number };
export type CountResult =
  | { ok: true; snapshot: StockSnapshot }
  | { ok: false; code: "STOCK_BELOW_RESERVED"; warehouseId: string; minimum: number }
  /** Some level moved since it was counted (or exists and no version was sent): the current levels. */
  | { ok: false; code: "STALE_COUNT" | "COUNT_VERSION_REQUIRED"; stale: StaleLevel[]; snapshot: StockSnapshot };
export type StockChangeResult =
  | { ok: true; warehouse: WarehouseStock; snapshot: StockSnapshot; replayed: boolean }
  | { ok: false; code: "STOCK_BELOW_RESERVED"; minimum: number }
  | { ok: false; code: "IDEMPOTENCY_KEY_REUSED" };

export type HoldStatus = "held" | "committed" | "shipped" | "released";
export type HoldRow = {
  warehouseId: string;
  qty: number;
  status: HoldStatus;
  expiresAt: number;
  customerId: string | null;
};
export type LedgerKind = "set" | "adjust" | "reserve" | "commit" | "ship" | "release";
export type LedgerEntry = {
  id: number;
  /** epoch ms */
  at: number;
  warehouseId: string;
  kind: LedgerKind;
  /** units moved; for set and adjust the signed change of on_hand */
  qty: number;
  onHandAfter: number;
  reason: string;
  actor: string;
  holdId: string | null;
};
export type AdjustReason = "restock" | "count" | "damage" | "return";
export type AdjustInput = {
  skuId: string;
  warehouseId: string;
  delta: number;
  reason: AdjustReason;
  actor: string;
  /** Already scoped to the caller; a replay returns the stored result without applying again. */
  idempotencyKey?: string;
};

/**
 * One row of a vendor's inventory bridge, applied at most once by its id. A count is the physical
 * on hand at `countedAt` (epoch ms); a delta moves on hand now, as an adjustment, unless a count
 * taken since it was received (`receivedAt`, epoch ms; now when left out) already has it.
 */
export type BridgeRow =
  | { rowId: string; warehouseId: string; kind: "count"; count: number; countedAt: number }
  | { rowId: string; warehouseId: string; kind: "delta"; delta: number; reason: AdjustReason; receivedAt?: number };
export type BridgeInput = { skuId: string; actor: string; rows: BridgeRow[] };
/**
 * `superseded`: a count taken after this row (a count's `countedAt`, a delta's `receivedAt`) was
 * already applied, so this one changes nothing.
 * `clamped`: on hand would have gone below what is held and committed; it stops there instead and
 * `shortfall` says by how many units the sheet is short of what was already promised.
 */
export type BridgeOutcome = "applied" | "superseded" | "clamped";
export type BridgeRowResult = {
  rowId: string;
  warehouseId: string;
  outcome: BridgeOutcome;
  onHandBefore: number;
  onHandAfter: number;
  /** For a count: shipments, returns and adjustments recorded since `countedAt` (signed). */
  movedSince: number;
  /** Where the row asked on hand to be now: the count net of `movedSince`, or on hand plus the delta. */
  target: number;
  shortfall: number;
};
export type BridgeResult = { results: BridgeRowResult[]; snapshot: StockSnapshot };
