import type { EventFrame } from "@contracts/feeds";
import { useEffect, useRef, useState } from "react";
import { api } from "../api";
import { FeedClient, type FeedStatus } from "./feed-client";

export type { FeedStatus } from "./feed-client";

/** A feed by its name, as POST /v1/feeds/tickets takes it. */
export type FeedName = "ops" | `vendor:${string}` | `customer:${string}` | `sku:${string}`;

/** Where a feed's WebSocket is. */
function feedPath(feed: FeedName): string {
  const [kind, id = ""] = feed.split(":", 2) as [string, string?];
  if (kind === "vendor") return `/v1/feeds/vendors/${encodeURIComponent(id)}`;
  if (kind === "sku") return `/v1/feeds/skus/${encodeURIComponent(id)}`;
  if (kind === "customer") return `/v1/feeds/customers/${encodeURIComponent(id)}`;
  return "/v1/feeds/ops";
}

/**
 * What a page's indicator says while the read naming its feed (whose vendor or customer the token
 * is) failed and is being made again: no socket is on its way, so not "Connecting…".
 */
export function awaitingFeedName(): FeedStatus {
  return navigator.onLine ? "reconnecting" : "offline";
}

/** A ticket request that hangs (a dropped line) must not keep the client from retrying. */
const TICKET_TIMEOUT_MS = 10_000;

/**
 * A live feed for a component (`feed` null: not connected). With a token, each (re)connect first
 * mints a single-use ticket with it, so the token itself never appears in the socket's URL; without
 * one, only a SKU's public feed opens. Handlers are held in refs, so re-renders never reconnect; a
 * new feed or token does.
 */
export function useFeed(opts: {
  feed: FeedName | null;
  token?: string | null;
  onEvent: (e: EventFrame) => void;
  onReset?: (lastId: number) => void;
  /** Read at each new connection: the last event id already seen, to resume from. */
  after?: () => number | null;
}): { status: FeedStatus; lastEventAt: Date | null } {
  const [status, setStatus] = useState<FeedStatus>("connecting");
  const [lastEventAt, setLastEventAt] = useState<Date | null>(null);
  const onEvent = useRef(opts.onEvent);
  const onReset = useRef(opts.onReset);
  const after = useRef(opts.after);
  onEvent.current = opts.onEvent;
  onReset.current = opts.onReset;
  after.current = opts.after;
  const { feed, token } = opts;

  useEffect(() => {
    if (!feed) return;
    const ticket = token
      ? async () => (await api.feedTicket(token, feed, AbortSignal.timeout(TICKET_TIMEOUT_MS))).ticket
      : null;
    const client = new FeedClient(
      feedPath(feed),
      ticket,
      {
        onEvent: (e) => {
          setLastEventAt(new Date());
          onEvent.current(e);
        },
        onReset: (lastId) => onReset.current?.(lastId),
        onStatus: setStatus,
      },
      after.current?.() ?? null,
    );
    return () => client.close();
  }, [feed, token]);

  return { status, lastEventAt };
}
