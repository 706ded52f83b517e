import { type EventFrame, PING, PONG, ServerFrame, TOKEN_REVOKED_CLOSE } from "@contracts/feeds";
import { ApiProblem } from "../api";

/**
 * `revoked`: the token was revoked or expired (while connected, or before a ticket); `no-access`:
 * the token may not open this feed (a vendor's token on the ops dashboard). Reconnecting with the
 * same token cannot succeed after either.
 */
export type FeedStatus = "connecting" | "live" | "reconnecting" | "offline" | "revoked" | "no-access";

/**
 * Mints a single-use ticket for the feed, as the signed-in user (POST /v1/feeds/tickets); called
 * before every (re)connect, since a ticket opens one socket and expires in seconds. Rejects with
 * the endpoint's `ApiProblem` when it answered, with anything else when it could not be reached.
 */
export type TicketSource = () => Promise<string>;

/**
 * The status a ticket refusal ends the feed in, or null when asking again may succeed (unreachable,
 * 429, 5xx). 401: the token is refused; 403: its role may not open the feed; 404: no such feed for
 * it (POST /v1/feeds/tickets answers another vendor's or customer's feed so too). A token never
 * gains a role or a feed, so retrying those would spin on "Reconnecting…" for good.
 */
export function ticketRefusal(err: unknown): "revoked" | "no-access" | null {
  if (!(err instanceof ApiProblem)) return null;
  if (err.status === 401) return "revoked";
  if (err.status === 403 || err.status === 404) return "no-access";
  return null;
}

export type FeedHandlers = {
  onEvent(event: EventFrame): void;
  /**
   * After the first hello (unless resuming, or started FROM_LAST_EVENT on a feed that has events)
   * and after a reset frame: the caller reloads its state from the API. `lastId` is where the feed
   * stands: a later client resumes from there.
   */
  onReset(lastId: number): void;
  onStatus(status: FeedStatus): void;
};

/**
 * `after` for a feed whose every event carries the whole state (a SKU's count) when nothing of it has
 * been seen yet: start from the feed's last event, not from now. That event may be newer than what
 * the caller read before connecting, and would otherwise never arrive.
 */
export const FROM_LAST_EVENT = -1;

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
 * first connection) or on a reset frame it asks the caller to reload from the API; a caller whose
 * feed's events each carry the whole state may instead start FROM_LAST_EVENT. A feed that
 * needs a ticket gets a fresh one before each attempt, so the user's token never appears in a URL.
 */
export class FeedClient {
  private ws: WebSocket | null = null;
  private lastId: number | null = null;
  /** Asked for FROM_LAST_EVENT: a first hello with events behind it is answered by resuming before the last. */
  private readonly fromLast: boolean;
  private failures = 0;
  private openedAt = 0;
  private missedPongs = 0;
  private pinger: ReturnType<typeof setInterval> | undefined;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  /** Bumped by each attempt and by every drop: a ticket that arrives for an older attempt is ignored. */
  private attempt = 0;

  /** `after`: the last event id an earlier client of this feed handed on, to resume from, or FROM_LAST_EVENT. */
  constructor(
    private readonly url: string,
    private readonly ticket: TicketSource | null,
    private readonly handlers: FeedHandlers,
    after: number | null = null,
  ) {
    this.fromLast = after === FROM_LAST_EVENT;
    this.lastId = this.fromLast ? null : after;
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
    const attempt = ++this.attempt;
    if (!this.ticket) {
      this.open(null);
      return;
    }
    this.ticket().then(
      (ticket) => {
        if (attempt === this.attempt && !this.stopped) this.open(ticket);
      },
      (err: unknown) => {
        if (attempt !== this.attempt || this.stopped) return;
        const refusal = ticketRefusal(err);
        if (refusal) this.end(refusal);
        else this.lost();
      },
    );
  }

  private open(ticket: string | null) {
    const url = new URL(this.url, window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    if (ticket) url.searchParams.set("ticket", ticket);
    if (this.lastId !== null) url.searchParams.set("after", String(this.lastId));
    const ws = new WebSocket(url);
    this.ws = ws;
    ws.onmessage = (e) => this.onMessage(String(e.data));
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      if (e.code === TOKEN_REVOKED_CLOSE) {
        this.end("revoked");
        return;
      }
      this.lost();
    };
    ws.onerror = () => ws.close();
  }

  /** For good: nothing the client can do with this token opens the feed. */
  private end(status: "revoked" | "no-access") {
    this.close();
    this.handlers.onStatus(status);
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
      if (!resuming && this.fromLast && frame.lastId > 0) {
        // The feed replays only what follows a given id, and its last event (always still held)
        // came before this hello: connect again from just before it, with no reload and no gap.
        this.lastId = frame.lastId - 1;
        this.drop();
        this.connect("connecting");
        return;
      }
      this.openedAt = Date.now();
      this.missedPongs = 0;
      this.startPinging();
      this.handlers.onStatus("live");
      if (!resuming) {
        this.lastId = frame.lastId;
        this.handlers.onReset(frame.lastId);
      }
      return;
    }
    if (!("id" in frame)) {
      this.lastId = frame.lastId;
      this.handlers.onReset(frame.lastId);
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
    this.attempt += 1;
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
    // A reconnect still waiting for its ticket is superseded by this one.
    clearTimeout(this.retry);
    this.connect("reconnecting");
  };

  private onOffline = () => {
    clearTimeout(this.retry);
    this.drop();
    this.handlers.onStatus("offline");
  };
}
