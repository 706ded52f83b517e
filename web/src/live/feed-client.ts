import { type EventFrame, PING, PONG, ServerFrame, TOKEN_REVOKED_CLOSE } from "@contracts/feeds";

/** `revoked`: the token was revoked while connected; reconnecting with it cannot succeed. */
export type FeedStatus = "connecting" | "live" | "reconnecting" | "offline" | "revoked";

export type FeedHandlers = {
  onEvent(event: EventFrame): void;
  /** After the first hello and after a reset frame: the caller reloads its state from the API. */
  onReset(): void;
  onStatus(status: FeedStatus): void;
};

const PING_EVERY_MS = 20_000;
const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 30_000;
/** A connection that stayed up this long was healthy: the next failure starts the backoff over. */
const HEALTHY_MS = 10_000;

/**
 * One live feed over a WebSocket that keeps itself up: it pings every 20 s and reconnects when
 * two pongs are missed, when the socket closes or the browser goes offline, waiting a random time
 * up to an exponentially growing ceiling (full jitter, so a restarted server is not hit by every
 * client at once). It reconnects with `after` = the last event id it has, so missed events arrive
 * with no gap; any event at or below that id is a duplicate and dropped. Without `after` (the
 * first connection) or on a reset frame it asks the caller to reload from the API.
 */
export class FeedClient {
  private ws: WebSocket | null = null;
  private lastId: number | null = null;
  private failures = 0;
  private openedAt = 0;
  private missedPongs = 0;
  private pinger: ReturnType<typeof setInterval> | undefined;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(
    private readonly url: string,
    private readonly handlers: FeedHandlers,
  ) {
    window.addEventListener("online", this.onOnline);
    window.addEventListener("offline", this.onOffline);
    this.connect("connecting");
  }

  close() {
    this.stopped = true;
    window.removeEventListener("online", this.onOnline);
    window.removeEventListener("offline", this.onOffline);
    clearTimeout(this.retry);
    this.drop();
  }

  private connect(status: FeedStatus) {
    if (this.stopped) return;
    this.handlers.onStatus(status);
    const url = new URL(this.url, window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    if (this.lastId !== null) url.searchParams.set("after", String(this.lastId));
    const ws = new WebSocket(url);
    this.ws = ws;
    ws.onmessage = (e) => this.onMessage(String(e.data));
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      if (e.code === TOKEN_REVOKED_CLOSE) {
        this.close();
        this.handlers.onStatus("revoked");
        return;
      }
      this.lost();
    };
    ws.onerror = () => ws.close();
  }

  private onMessage(text: string) {
    if (text === PONG) {
      this.missedPongs = 0;
      return;
    }
    let frame: ServerFrame;
    try {
      frame = ServerFrame.parse(JSON.parse(text));
    } catch {
      return;
    }
    if (!("id" in frame) && frame.type === "hello") {
      const resuming = this.lastId !== null;
      this.openedAt = Date.now();
      this.missedPongs = 0;
      this.startPinging();
      this.handlers.onStatus("live");
      if (!resuming) {
        this.lastId = frame.lastId;
        this.handlers.onReset();
      }
      return;
    }
    if (!("id" in frame)) {
      this.lastId = frame.lastId;
      this.handlers.onReset();
      return;
    }
    if (this.lastId !== null && frame.id <= this.lastId) return;
    this.lastId = frame.id;
    this.handlers.onEvent(frame);
  }

  private startPinging() {
    clearInterval(this.pinger);
    this.pinger = setInterval(() => {
      if (this.missedPongs >= 2) {
        this.lost();
        return;
      }
      this.missedPongs += 1;
      try {
        this.ws?.send(PING);
      } catch {
        this.lost();
      }
    }, PING_EVERY_MS);
  }

  private drop() {
    clearInterval(this.pinger);
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onclose = null;
      ws.onmessage = null;
      ws.onerror = null;
      try {
        ws.close();
      } catch {
        // already closing
      }
    }
  }

  private lost() {
    if (this.stopped) return;
    this.drop();
    if (this.openedAt && Date.now() - this.openedAt > HEALTHY_MS) this.failures = 0;
    this.openedAt = 0;
    this.failures += 1;
    if (!navigator.onLine) {
      this.handlers.onStatus("offline");
      return;
    }
    this.handlers.onStatus("reconnecting");
    const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (this.failures - 1));
    clearTimeout(this.retry);
    this.retry = setTimeout(() => this.connect("reconnecting"), Math.random() * ceiling);
  }

  private onOnline = () => {
    if (this.ws) return;
    clearTimeout(this.retry);
    this.connect("reconnecting");
  };

  private onOffline = () => {
    clearTimeout(this.retry);
    this.drop();
    this.handlers.onStatus("offline");
  };
}
