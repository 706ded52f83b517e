import { type EventFrame, PublicStockData } from "@contracts/feeds";
import { type RefObject, useEffect, useRef, useState } from "react";
import { FROM_LAST_EVENT } from "../live/feed-client";
import { useFeed } from "../live/use-feed";

/**
 * A card's side of its SKU feed, apart from React: the handlers `useFeed` is given, across the
 * card's connections. Each event carries the whole count, so the first connection starts from the
 * feed's last event (what sold between the offers read and the socket is in it), and a later one
 * resumes after the last event seen and gets what it missed. `show(null)`: back to the count read.
 */
export function skuCountFeed(show: (available: number | null) => void, stale: () => void) {
  let seen: number | null = null;
  return {
    after: () => seen ?? FROM_LAST_EVENT,
    onEvent: (e: EventFrame) => {
      seen = e.id;
      const parsed = PublicStockData.safeParse(e.data);
      if (parsed.success) show(parsed.data.available);
    },
    onReset: (lastId: number) => {
      const first = seen === null;
      seen = lastId;
      // A first connection to a feed that has no event yet: nothing was pushed, the count read
      // stands. Any other reset means events were lost.
      if (first && lastId === 0) return;
      show(null);
      stale();
    },
  };
}

/**
 * A SKU's available count, live from its public stock feed while `ref`'s element is on screen (a
 * page of offers opens a socket only for the few in view; see `skuCountFeed`). When the feed no
 * longer holds that far back it calls `stale` for the count to be read again, and shows `initial`
 * (which that read renews) until the next event.
 */
export function useLiveAvailable(
  skuId: string,
  initial: number,
  stale: () => void,
): { ref: RefObject<HTMLLIElement | null>; available: number; updatedAt: Date | null } {
  const ref = useRef<HTMLLIElement>(null);
  const [visible, setVisible] = useState(false);
  const [live, setLive] = useState<{ available: number; at: Date } | null>(null);
  const staleRef = useRef(stale);
  staleRef.current = stale;
  const [feed] = useState(() =>
    skuCountFeed(
      (available) => setLive(available === null ? null : { available, at: new Date() }),
      () => staleRef.current(),
    ),
  );
  useEffect(() => {
    const el = ref.current;
    if (!el || typeof IntersectionObserver === "undefined") return;
    const observer = new IntersectionObserver(([entry]) => setVisible(entry?.isIntersecting ?? false));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  useFeed({ feed: visible ? `sku:${skuId}` : null, ...feed });
  return { ref, available: live?.available ?? initial, updatedAt: live?.at ?? null };
}

export function AvailableCount({ available, updatedAt }: { available: number; updatedAt: Date | null }) {
  return (
    <div
      className={`small ${available > 0 ? "stock-ok" : "stock-out"}`}
      title={updatedAt ? `Updated ${updatedAt.toLocaleTimeString()}` : undefined}
    >
      {available > 0 ? `${available} available` : "Out of stock"}
    </div>
  );
}
