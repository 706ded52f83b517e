import type { BridgeReport } from "../contracts/bridge";
import { BridgeRequest, type BridgeRowInput, COUNTED_AT_MAX_AHEAD_MS } from "../contracts/bridge";
import {
  type BridgeRequestKey,
  bridgeDrift,
  bridgeTargets,
  findBridgeSecret,
  type StagedRow,
  saveBridgeSecret,
  stageBridgeRows,
} from "../db/bridge";
import { database } from "../db/client";
import { findKey, IDEMPOTENCY_RETENTION_SECONDS } from "../db/idempotency";
import { findVendor } from "../db/vendors";
import { parseBridgeSignature, verifyBridgeSignature, withinReplayWindow } from "../domain/bridge-signature";
import { newSecretToken, sha256Hex } from "../domain/crypto";
import { seal, unseal } from "../domain/sealed";
import { addSeconds, isoSeconds } from "../domain/time";
import { config } from "../platform/config";

type FieldError = { path: string; message: string };

export type BridgeRefusal =
  | {
      ok: false;
      code:
        | "BRIDGE_NOT_CONFIGURED"
        | "NOT_FOUND"
        | "BAD_SIGNATURE"
        | "SIGNATURE_EXPIRED"
        | "SIGNATURE_REPLAYED"
        | "IDEMPOTENCY_KEY_REUSED";
    }
  | { ok: false; code: "VALIDATION_FAILED"; detail: string; errors: FieldError[] };

/** What the secret is sealed for: a sealed value copied onto another vendor's record does not open. */
const sealContext = (vendorId: string) => `bridge-secret:${vendorId}`;

/** A new signing secret for the vendor's bridge, replacing any before it; shown to the caller once. */
export async function rotateBridgeSecret(env: Env, vendorId: string, now: Date) {
  const key = config(env).bridgeSecretKey;
  if (!key) return { ok: false, code: "BRIDGE_NOT_CONFIGURED" } as const;
  const db = database(env);
  if (!(await findVendor(db, vendorId))) return { ok: false, code: "NOT_FOUND" } as const;
  const secret = newSecretToken("whbr");
  const rotatedAt = isoSeconds(now);
  await saveBridgeSecret(db, vendorId, await seal(key, sealContext(vendorId), secret), rotatedAt);
  return { ok: true, secret, rotatedAt } as const;
}

export type BridgeStaged = { ok: true; staged: number; rowIds: number[]; replayed: boolean };

/**
 * A signed request from the vendor's sheet or ERP: checked in full (signature, its window, the
 * rows, every SKU and warehouse the vendor's own) and staged all together, or refused with
 * nothing staged. The signature is checked over the exact bytes before anything is parsed. A
 * request sent again under its Idempotency-Key, signed anew or not, is answered with the first
 * one's receipt and stages nothing: a retried delta is never taken twice.
 */
export async function receiveBridgeRows(
  env: Env,
  input: { vendorId: string; header: string | undefined; body: string; idempotencyKey: string | null; now: Date },
): Promise<BridgeStaged | BridgeRefusal> {
  const key = config(env).bridgeSecretKey;
  if (!key) return { ok: false, code: "BRIDGE_NOT_CONFIGURED" };
  const db = database(env);
  const stored = await findBridgeSecret(db, input.vendorId);
  if (!stored) return { ok: false, code: "NOT_FOUND" };
  const signature = parseBridgeSignature(input.header);
  if (!signature) return { ok: false, code: "BAD_SIGNATURE" };
  const secret = await unseal(key, sealContext(input.vendorId), stored.sealed);
  if (!secret || !(await verifyBridgeSignature(secret, signature, input.body)))
    return { ok: false, code: "BAD_SIGNATURE" };
  const request =
    input.idempotencyKey === null
      ? null
      : await requestKey(input.vendorId, input.idempotencyKey, input.body, input.now);
  if (!withinReplayWindow(signature.timestamp, input.now.getTime())) {
    // A request kept and sent again after the window (an outbox replayed after an outage) is still
    // answered by its key, as the first one's receipt: it stages nothing, and told "nothing was
    // staged" its sender might enter the same movement again under a new key.
    return (request && (await firstReceipt(db, request))) ?? { ok: false, code: "SIGNATURE_EXPIRED" };
  }

  const rows = await resolveRows(db, input.vendorId, input.body, input.now);
  if (!rows.ok) return rows;
  const staged = await stageBridgeRows(db, {
    vendorId: input.vendorId,
    signature: signature.v1,
    seenAt: input.now.getTime(),
    receivedAt: isoSeconds(input.now),
    rows: rows.rows,
    request,
  });
  if (staged.ok) return { ok: true, staged: staged.ids.length, rowIds: staged.ids, replayed: false };
  if (staged.code === "REPLAYED" || !request) return { ok: false, code: "SIGNATURE_REPLAYED" };
  // The key's batch committed whole, so its receipt is there (or the key expired a moment ago).
  return (await firstReceipt(db, request)) ?? { ok: false, code: "IDEMPOTENCY_KEY_REUSED" };
}

/** The receipt of the first request under this key, when it carried this body; else null. */
async function firstReceipt(db: ReturnType<typeof database>, request: BridgeRequestKey): Promise<BridgeStaged | null> {
  const first = await findKey(db, request.scope, request.key);
  if (!first || first.requestHash !== request.requestHash) return null;
  const receipt = JSON.parse(first.responseBody) as { staged: number; rowIds: number[] };
  return { ok: true, staged: receipt.staged, rowIds: receipt.rowIds, replayed: true };
}

/** The vendor's key for this body: the same rows sent again match whatever their signature. */
async function requestKey(vendorId: string, key: string, body: string, now: Date): Promise<BridgeRequestKey> {
  return {
    scope: `bridge:${vendorId}`,
    key,
    requestHash: await sha256Hex(body),
    at: isoSeconds(now),
    expiresAt: isoSeconds(addSeconds(now, IDEMPOTENCY_RETENTION_SECONDS)),
  };
}

function invalid(errors: FieldError[], detail = "Some rows are not valid; nothing was staged"): BridgeRefusal {
  return { ok: false, code: "VALIDATION_FAILED", detail, errors };
}

/** The body's rows with every SKU resolved to the vendor's own, or every row that is not. */
async function resolveRows(
  db: ReturnType<typeof database>,
  vendorId: string,
  body: string,
  now: Date,
): Promise<{ ok: true; rows: StagedRow[] } | BridgeRefusal> {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return invalid([{ path: "(body)", message: "Malformed JSON" }], "Malformed JSON; nothing was staged");
  }
  const parsed = BridgeRequest.safeParse(json);
  if (!parsed.success) {
    return invalid(
      parsed.error.issues.map((i) => ({ path: i.path.map(String).join(".") || "(root)", message: i.message })),
    );
  }
  const input = parsed.data.rows;
  const targets = await bridgeTargets(db, vendorId, {
    skuIds: input.flatMap((r) => (r.skuId ? [r.skuId] : [])),
    skuCodes: input.flatMap((r) => (r.skuCode ? [r.skuCode] : [])),
    warehouseIds: input.map((r) => r.warehouseId),
  });
  const errors: FieldError[] = [];
  const rows = input.map((r, i): StagedRow => {
    const skuId =
      r.skuId !== undefined
        ? targets.skuIds.has(r.skuId)
          ? r.skuId
          : null
        : (targets.skuByCode.get(r.skuCode!) ?? null);
    // Another vendor's SKU reads exactly like a missing one.
    if (!skuId)
      errors.push({
        path: `rows.${i}.${r.skuId !== undefined ? "skuId" : "skuCode"}`,
        message: "not a SKU of this vendor",
      });
    if (!targets.warehouseIds.has(r.warehouseId))
      errors.push({ path: `rows.${i}.warehouseId`, message: "not a warehouse of this vendor" });
    const countedAt = r.countedAt !== undefined ? Date.parse(r.countedAt) : null;
    if (countedAt !== null && countedAt > now.getTime() + COUNTED_AT_MAX_AHEAD_MS) {
      errors.push({ path: `rows.${i}.countedAt`, message: "is in the future" });
    }
    return toStaged(r, skuId ?? "", countedAt, now.getTime());
  });
  return errors.length > 0 ? invalid(errors) : { ok: true, rows };
}

/**
 * A delta is stamped with when it was received: a count taken after that already has it. Counts
 * and deltas are then compared by time, so a count is never later than its own receipt: one from
 * a sheet whose clock runs ahead would otherwise pass for newer than the deltas received after it.
 */
function toStaged(r: BridgeRowInput, skuId: string, countedAt: number | null, receivedAt: number): StagedRow {
  return r.count !== undefined
    ? {
        skuId,
        warehouseId: r.warehouseId,
        kind: "count",
        qty: r.count,
        countedAt: Math.min(countedAt!, receivedAt),
        reason: null,
      }
    : { skuId, warehouseId: r.warehouseId, kind: "delta", qty: r.delta!, countedAt: receivedAt, reason: r.reason! };
}

/** The vendor's bridge: whether a secret is set, what waits, and the drift of its latest counts. */
export async function bridgeReport(env: Env, vendorId: string, limit: number): Promise<BridgeReport | null> {
  const db = database(env);
  const [vendor, secret, drift] = await Promise.all([
    findVendor(db, vendorId),
    findBridgeSecret(db, vendorId),
    bridgeDrift(db, vendorId, limit),
  ]);
  if (!vendor) return null;
  return {
    vendorId,
    configured: secret !== null,
    rotatedAt: secret?.rotatedAt ?? null,
    staged: drift.staged,
    lastAppliedAt: drift.lastAppliedAt,
    lines: drift.lines.map((l) => {
      const drifted = l.target - l.onHandBefore;
      return {
        skuId: l.skuId,
        skuCode: l.skuCode,
        warehouseId: l.warehouseId,
        warehouseName: l.warehouseName,
        counted: l.counted,
        countedAt: new Date(l.countedAt).toISOString(),
        marketplaceAtCount: l.counted - drifted,
        drift: drifted,
        onHandBefore: l.onHandBefore,
        onHandAfter: l.onHandAfter,
        applied: l.onHandAfter - l.onHandBefore,
        shortfall: l.shortfall,
        outcome: l.outcome,
        appliedAt: l.appliedAt,
      };
    }),
  };
}
