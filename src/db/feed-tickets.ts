import { and, eq, gt, isNotNull, lte, notExists, sql } from "drizzle-orm";
import type { Role } from "../domain/principal";
import type { Db } from "./client";
import { apiTokens, customerFeeds, feedTickets } from "./schema";

/** Who a ticket lets onto its feed. */
export type TicketHolder = { role: Role; principalId: string; tokenId: string };

/**
 * Stores a ticket by its hash, and forgets the expired ones in the same batch, so the table holds
 * only the tickets of the last few seconds. A ticket for a customer's feed also records, in the same
 * batch and before any socket can open, that this customer's feed is now followed: from then on
 * their order events are published to it (see `orderCustomersFollowed` in orders.ts).
 */
export async function insertFeedTicket(
  db: Db,
  ticket: TicketHolder & { ticketHash: string; feed: string; createdAt: string; expiresAt: string },
  customerId: string | null,
): Promise<void> {
  const purge = db.delete(feedTickets).where(lte(feedTickets.expiresAt, ticket.createdAt));
  const insert = db.insert(feedTickets).values(ticket);
  if (customerId === null) {
    await db.batch([purge, insert]);
    return;
  }
  const followed = db
    .insert(customerFeeds)
    .values({ customerId, firstTicketAt: ticket.createdAt })
    .onConflictDoNothing();
  await db.batch([purge, insert, followed]);
}

/**
 * Uses up the ticket with this hash for this feed: one conditional DELETE, so of any number of
 * concurrent attempts (in any isolate) exactly one gets the row back. Null when the ticket is
 * unknown, already used, past its expiry at `at`, for another feed, or minted by a token revoked
 * since.
 */
export async function consumeFeedTicket(
  db: Db,
  ticketHash: string,
  feed: string,
  at: string,
): Promise<TicketHolder | null> {
  const revoked = db
    .select({ one: sql`1` })
    .from(apiTokens)
    .where(and(eq(apiTokens.id, feedTickets.tokenId), isNotNull(apiTokens.revokedAt)));
  const row = await db
    .delete(feedTickets)
    .where(
      and(
        eq(feedTickets.ticketHash, ticketHash),
        eq(feedTickets.feed, feed),
        gt(feedTickets.expiresAt, at),
        notExists(revoked),
      ),
    )
    .returning({ role: feedTickets.role, principalId: feedTickets.principalId, tokenId: feedTickets.tokenId })
    .get();
  return row ?? null;
}
