import type { Context } from "hono";
import { addressKey } from "../domain/client-address";
import type { AppEnv } from "./context";

/** Cloudflare sets CF-Connecting-IP on every request it forwards; a client cannot override it there. */
export function clientAddressOf(c: Context<AppEnv>): string {
  return addressKey(c.req.header("cf-connecting-ip"));
}
