/**
 * Why the Feed object calls out: API tokens live in D1, and a socket must not outlive the token it
 * connected with. The object asks, on its alarm, which of its sockets' tokens the API no longer
 * accepts (revoked, or expired by the API's own rule).
 */
import { database } from "../../src/db/client";
import { endedTokens, type TokenEnd } from "../../src/db/tokens";

/** Of these token ids, those ended since, and why. */
export function endedAmong(env: Env, tokenIds: string[], now: Date): Promise<Map<string, TokenEnd>> {
  return endedTokens(database(env), tokenIds, now);
}
