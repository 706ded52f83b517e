import { refitRouting } from "../routing/refit";

/** Hourly: re-fit vendor speed and reliability and the routing weights from recent outcomes. */
export async function routingRefit(env: Env, now: Date) {
  return refitRouting(env, now);
}
