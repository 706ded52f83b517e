import { database } from "../db/client";
import { readRoutingModel } from "../db/routing";
import { DEFAULT_VENDOR_SCORE, type RoutingWeights, type VendorScore } from "../domain/routing/weights";
import { type RateCard, type RateTable, rateTable } from "../domain/shipping";
import { isoSeconds } from "../domain/time";

/** The data routing weighs with: the current weights, what each vendor's history says, the rate cards. */
export type RoutingModel = {
  weightsVersion: number;
  weights: RoutingWeights;
  scores: ReadonlyMap<string, VendorScore>;
  cards: RateCard[];
  rates: RateTable;
};

// The model changes when an admin edits it or the hourly re-fit runs. Kept per isolate for half a
// minute so checkout reads no D1 before it claims stock; writers in this isolate forget it at
// once, other isolates pick a change up within the TTL.
const MODEL_TTL_MS = 30_000;
let cached: { model: Promise<RoutingModel>; until: number } | null = null;

export function forgetRoutingModel(): void {
  cached = null;
}

export function scoreOf(model: RoutingModel, vendorId: string): VendorScore {
  return model.scores.get(vendorId) ?? DEFAULT_VENDOR_SCORE;
}

async function load(env: Env, now: Date): Promise<RoutingModel> {
  const { weights, scores, cards } = await readRoutingModel(database(env), isoSeconds(now));
  return {
    weightsVersion: weights.version,
    weights: weights.weights,
    scores: new Map(
      scores.map((s) => [
        s.vendorId,
        {
          avgDispatchHours: s.avgDispatchHours,
          onTimeRateBps: s.onTimeRateBps,
          breachRateBps: s.breachRateBps,
          cancelRateBps: s.cancelRateBps,
          sampleSize: s.sampleSize,
        },
      ]),
    ),
    cards,
    rates: rateTable(cards),
  };
}

/** Concurrent callers in one isolate share one read. */
export function routingModel(env: Env, now: Date, opts: { fresh?: boolean } = {}): Promise<RoutingModel> {
  if (!opts.fresh && cached && cached.until > Date.now()) return cached.model;
  const model = load(env, now);
  cached = { model, until: Date.now() + MODEL_TTL_MS };
  model.catch(() => {
    if (cached?.model === model) cached = null;
  });
  return model;
}
