import { FEED_TICKET_SECONDS, type FeedTicket } from "../contracts/feeds";
import { database } from "../db/client";
import { insertFeedTicket } from "../db/feed-tickets";
import { newSecretToken, sha256Hex } from "../domain/crypto";
import { actorOf, type Principal } from "../domain/principal";
import { addSeconds, isoSeconds } from "../domain/time";
import { type Feed, feedExists, feedNameOf } from "./subscribe";

/** `ops`, `vendor:<id>`, `customer:<id>` or `sku:<id>` (already checked against FeedNameText) as a feed. */
export function feedOfName(name: string): Feed {
  const [kind, id = ""] = name.split(":", 2) as [string, string?];
  if (kind === "vendor") return { kind: "vendor", vendorId: id };
  if (kind === "customer") return { kind: "customer", customerId: id };
  if (kind === "sku") return { kind: "sku", skuId: id };
  return { kind: "ops" };
}

/**
 * Who may follow which feed: the ops feed is for admin and ops; a vendor's feed for ops, admin and
 * that vendor (another vendor's is NOT_FOUND, worded like a missing one); a customer's for ops, admin
 * and that customer alone (another customer's is NOT_FOUND, a vendor's attempt FORBIDDEN); a SKU's
 * for anyone.
 */
function mayFollow(p: Principal, feed: Feed): "ok" | "FORBIDDEN" | "NOT_FOUND" {
  switch (feed.kind) {
    case "ops":
      return p.role === "admin" || p.role === "ops" ? "ok" : "FORBIDDEN";
    case "vendor":
      if (p.role === "customer") return "FORBIDDEN";
      return p.role !== "vendor" || p.vendorId === feed.vendorId ? "ok" : "NOT_FOUND";
    case "customer":
      if (p.role === "vendor") return "FORBIDDEN";
      return p.role !== "customer" || p.customerId === feed.customerId ? "ok" : "NOT_FOUND";
    case "sku":
      return "ok";
  }
}

export type IssuedTicket = { ok: true; ticket: FeedTicket } | { ok: false; code: "FORBIDDEN" | "NOT_FOUND" };

/**
 * A single-use ticket that opens `feed` as `p` until `FEED_TICKET_SECONDS` after `now`. Browsers
 * cannot set headers on a WebSocket, and a long-lived token in its URL would land in request logs;
 * a ticket there is worthless once used or a few seconds old. Only its hash is stored, with the id
 * of the token that minted it, so the feed still closes the socket when that token is revoked.
 */
export async function issueFeedTicket(env: Env, p: Principal, feed: Feed, now: Date): Promise<IssuedTicket> {
  const allowed = mayFollow(p, feed);
  if (allowed !== "ok") return { ok: false, code: allowed };
  if (!(await feedExists(env, feed, p))) return { ok: false, code: "NOT_FOUND" };
  const ticket = newSecretToken("fdt");
  const name = feedNameOf(feed);
  const expiresAt = isoSeconds(addSeconds(now, FEED_TICKET_SECONDS));
  await insertFeedTicket(
    database(env),
    {
      ticketHash: await sha256Hex(ticket),
      feed: name,
      role: p.role,
      principalId: actorOf(p).id ?? p.tokenId,
      tokenId: p.tokenId,
      createdAt: isoSeconds(now),
      expiresAt,
    },
    feed.kind === "customer" ? feed.customerId : null,
  );
  return { ok: true, ticket: { ticket, feed: name, expiresAt } };
}
