/**
 * Why the Feed object calls out: API tokens live in D1, and a socket must not outlive the token it
 * connected with. The object asks, on its alarm, which of its sockets' tokens have been revoked.
 */
import { database } from "../../src/db/client";
import { revokedTokenIds } from "../../src/db/tokens";

/** Of these token ids, those revoked since. */
export async function revokedAmong(env: Env, tokenIds: string[]): Promise<Set<string>> {
  return new Set(await revokedTokenIds(database(env), tokenIds));
}
