import { PublicStockData } from "@contracts/feeds";
import { type RefObject, useEffect, useRef, useState } from "react";
import { useFeed } from "../live/use-feed";

/** How old a count read with the offers may be when its card first comes into view and still stand. */
const FRESH_MS = 5_000;

/**
 * A SKU's available count, live from its public stock feed while `ref`'s element is on screen (a
 * page of offers opens a socket only for the few in view). Each event carries the whole count, so
 * the card resumes where it left off when it comes back into view and gets what it missed; when the
 * feed no longer holds that far back, or the card first comes into view long after `initial` was
 * read (`readAt`: the feed starts from now, so what sold in between would never arrive), it calls
 * `stale` for the count to be read again, and shows `initial` (which that read renews) until the
 * next event.
 */
export function useLiveAvailable(
  skuId: string,
  initial: number,
  readAt: Date | null,
  stale: () => void,
): { ref: RefObject<HTMLLIElement | null>; available: number; updatedAt: Date | null } {
  const ref = useRef<HTMLLIElement>(null);
  const [visible, setVisible] = useState(false);
  const [live, setLive] = useState<{ available: number; at: Date } | null>(null);
  const seen = useRef<number | null>(null);
  const read = useRef(readAt);
  read.current = readAt;
  useEffect(() => {
    const el = ref.current;
    if (!el || typeof IntersectionObserver === "undefined") return;
    const observer = new IntersectionObserver(([entry]) => setVisible(entry?.isIntersecting ?? false));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  useFeed({
    feed: visible ? `sku:${skuId}` : null,
    after: () => seen.current,
    onEvent: (e) => {
      seen.current = e.id;
      const parsed = PublicStockData.safeParse(e.data);
      if (parsed.success) setLive({ available: parsed.data.available, at: new Date() });
    },
    onReset: (lastId) => {
      const resumed = seen.current !== null;
      seen.current = lastId;
      // A first connection follows the count read with the offers, if that is recent; a reset means
      // events were lost.
      if (!resumed && read.current !== null && Date.now() - read.current.getTime() <= FRESH_MS) return;
      setLive(null);
      stale();
    },
  });
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
