import type { EventFrame } from "@contracts/feeds";
import { useEffect, useRef, useState } from "react";
import { FeedClient, type FeedStatus } from "./feed-client";

export type { FeedStatus } from "./feed-client";

/**
 * A live feed for a component: `path` is `/v1/feeds/...` (null: not connected). Handlers are
 * held in refs, so re-renders never reconnect; a new path or token does.
 */
export function useFeed(opts: {
  path: string | null;
  token?: string | null;
  onEvent: (e: EventFrame) => void;
  onReset?: () => void;
}): { status: FeedStatus; lastEventAt: Date | null } {
  const [status, setStatus] = useState<FeedStatus>("connecting");
  const [lastEventAt, setLastEventAt] = useState<Date | null>(null);
  const onEvent = useRef(opts.onEvent);
  const onReset = useRef(opts.onReset);
  onEvent.current = opts.onEvent;
  onReset.current = opts.onReset;

  useEffect(() => {
    if (!opts.path) return;
    const url = opts.token ? `${opts.path}?token=${encodeURIComponent(opts.token)}` : opts.path;
    const client = new FeedClient(url, {
      onEvent: (e) => {
        setLastEventAt(new Date());
        onEvent.current(e);
      },
      onReset: () => onReset.current?.(),
      onStatus: setStatus,
    });
    return () => client.close();
  }, [opts.path, opts.token]);

  return { status, lastEventAt };
}
