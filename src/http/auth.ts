import type { Context, MiddlewareHandler } from "hono";
import { database } from "../db/client";
import { findPrincipalByTokenHash } from "../db/tokens";
import { setBounded } from "../domain/bounded-map";
import { sha256Hex, timingSafeEqualText } from "../domain/crypto";
import { BOOTSTRAP_TOKEN_ID, type Principal, type Role } from "../domain/principal";
import type { Background } from "../platform/background";
import { config } from "../platform/config";
import type { AppEnv } from "./context";
import { ApiError } from "./errors";

// Token lookups are cached per isolate for a short while so the checkout hot path does not
// read D1 for every request; a revocation evicts locally and reaches other isolates within the TTL.
const TOKEN_CACHE_TTL_MS = 30_000;
const MAX_TOKENS = 20_000;
const tokenCache = new Map<string, { principal: Principal; until: number }>();

export function forgetToken(tokenHash: string) {
  tokenCache.delete(tokenHash);
}

/** A token just issued by this isolate is known without asking D1 again. */
export function rememberToken(tokenHash: string, principal: Principal) {
  setBounded(tokenCache, tokenHash, { principal, until: Date.now() + TOKEN_CACHE_TTL_MS }, MAX_TOKENS);
}

/**
 * `background` is asked for only when D1 is read: a request built without an execution context
 * (`app.request` in tests) may still carry the bootstrap token.
 */
async function resolve(env: Env, token: string, background: () => Background): Promise<Principal | null> {
  const bootstrap = config(env).adminBootstrapToken;
  if (bootstrap && timingSafeEqualText(token, bootstrap)) return { role: "admin", tokenId: BOOTSTRAP_TOKEN_ID };
  const hash = await sha256Hex(token);
  const hit = tokenCache.get(hash);
  if (hit && hit.until > Date.now()) return hit.principal;
  const principal = await findPrincipalByTokenHash(database(env), hash, new Date(), background());
  if (principal) setBounded(tokenCache, hash, { principal, until: Date.now() + TOKEN_CACHE_TTL_MS }, MAX_TOKENS);
  else tokenCache.delete(hash);
  return principal;
}

/** Inside the health check's own 3 s per probe, so a monitor still gets its answer in time. */
const BEST_EFFORT_LOOKUP_MS = 1_000;

/**
 * The token's principal, or `undefined` when D1 did not answer in time or failed: the caller is
 * then unverified, neither known nor refused.
 */
async function resolveBestEffort(
  env: Env,
  token: string,
  background: () => Background,
): Promise<Principal | null | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<undefined>((done) => {
    timer = setTimeout(() => done(undefined), BEST_EFFORT_LOOKUP_MS);
  });
  try {
    return await Promise.race([resolve(env, token, background), deadline]);
  } catch (err) {
    console.error(
      JSON.stringify({ auth: "token lookup failed", error: err instanceof Error ? err.message : String(err) }),
    );
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The bearer token of the Authorization header, if any (WebSockets open with a feed ticket instead).
 * `bestEffort` is for the health check, which must answer while D1 is down, exactly when a monitor
 * asks: a token whose lookup fails or hangs is served as anonymous (never shown what a verified
 * token would see), where any other route answers the failure. An unknown token is 401 either way.
 */
export function authenticate(opts: { bestEffort?: boolean } = {}): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header("authorization");
    let token: string | undefined;
    if (header !== undefined) {
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      if (!m?.[1]) throw new ApiError("UNAUTHENTICATED", "The Authorization header must be 'Bearer <token>'");
      token = m[1];
    }
    if (token && opts.bestEffort) {
      const principal = await resolveBestEffort(c.env, token, () => c.executionCtx);
      if (principal === null) throw new ApiError("UNAUTHENTICATED", "The token is unknown, revoked or expired");
      c.set("principal", principal ?? null);
      return next();
    }
    const principal = token ? await resolve(c.env, token, () => c.executionCtx) : null;
    if (token && !principal) throw new ApiError("UNAUTHENTICATED", "The token is unknown, revoked or expired");
    c.set("principal", principal);
    await next();
  };
}

/** 401 without a principal, 403 for a role that may never call the route. */
export function requireRole<R extends Role>(c: Context<AppEnv>, ...allowed: R[]): Extract<Principal, { role: R }> {
  const p = c.get("principal");
  if (!p) throw new ApiError("UNAUTHENTICATED");
  if (!(allowed as Role[]).includes(p.role)) {
    throw new ApiError("FORBIDDEN", `This route is for: ${allowed.join(", ")}`);
  }
  return p as Extract<Principal, { role: R }>;
}

/**
 * No token, or a shopper's: the catalog as the public sees it, products some vendor sells (vendors
 * pick what to offer from all).
 */
export function seesAsPublic(c: Context<AppEnv>): boolean {
  const who = c.get("principal");
  return !who || who.role === "customer";
}
