import { PublicStockData } from "@contracts/feeds";
import { useEffect, useRef, useState } from "react";
import { useFeed } from "../live/use-feed";

/**
 * A SKU's available count, live from its public stock feed while the card is on screen (a page
 * of 48 cards opens a socket only for the few in view).
 */
export function LiveAvailable({ skuId, initial }: { skuId: string; initial: number }) {
  const ref = useRef<HTMLDivElement>(null);
  const [visible, setVisible] = useState(false);
  const [live, setLive] = useState<{ available: number; at: Date } | null>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el || typeof IntersectionObserver === "undefined") return;
    const observer = new IntersectionObserver(([entry]) => setVisible(entry?.isIntersecting ?? false));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  useFeed({
    feed: visible ? `sku:${skuId}` : null,
    onEvent: (e) => {
      const parsed = PublicStockData.safeParse(e.data);
      if (parsed.success) setLive({ available: parsed.data.available, at: new Date() });
    },
  });
  const available = live?.available ?? initial;
  return (
    <div
      ref={ref}
      className={`small ${available > 0 ? "stock-ok" : "stock-out"}`}
      title={live ? `Updated ${live.at.toLocaleTimeString()}` : undefined}
    >
      {available > 0 ? `${available} available` : "Out of stock"}
    </div>
  );
}
