import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import {
  ClientFrame,
  type EventFrame,
  FeedEventInput,
  type HelloFrame,
  PING,
  PONG,
  type ResetFrame,
  TOKEN_REVOKED_CLOSE,
} from "../src/contracts/feeds";
import { BOOTSTRAP_TOKEN_ID } from "../src/domain/principal";
import { type PublishResult, SOURCE_MEMORY_MS, Subscriber } from "./feed-rpc";
import { endedAmong } from "./outward/ended-tokens";

/** Events kept per feed for resuming clients; older ones are trimmed on append. */
export const RETAINED_EVENTS = 1000;
/**
 * Tokens are checked when a socket connects, and then this often while it stays open: a revoked
 * token is refused within 30 s everywhere, its open sockets as much as its requests.
 */
export const TOKEN_CHECK_MS = 30_000;

/** Kept on the socket itself so it survives hibernation. */
type Attachment = Omit<Subscriber, "after">;

/**
 * A socket's token can be revoked or expire: it has a row. The bootstrap token is configuration:
 * only a new secret ends it, whose deploy drops every socket, so its sockets wake no check.
 */
const revocable = (tokenId: string | null): tokenId is string => tokenId !== null && tokenId !== BOOTSTRAP_TOKEN_ID;

/**
 * SQLite schema of one Feed object. Append-only: each entry runs once, in order, recorded in
 * `schema_version`; add a new entry for any later change.
 */
const migrations: string[] = [
  `
  CREATE TABLE IF NOT EXISTS meta (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_id INTEGER NOT NULL DEFAULT 0
  );
  INSERT OR IGNORE INTO meta (id) VALUES (1);

  CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    type TEXT NOT NULL,
    at TEXT NOT NULL,
    data TEXT NOT NULL
  );

  -- Source ids already appended (outbox ids, stock versions): publishing twice appends once.
  CREATE TABLE IF NOT EXISTS seen (
    source_id TEXT PRIMARY KEY,
    event_id INTEGER NOT NULL,
    seen_at INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS seen_age ON seen (seen_at);
  `,
];

function migrate(storage: DurableObjectStorage): void {
  const sql = storage.sql;
  sql.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
  const current = sql.exec<{ v: number | null }>("SELECT MAX(version) AS v FROM schema_version").one().v ?? 0;
  if (current >= migrations.length) return;
  storage.transactionSync(() => {
    for (let i = current; i < migrations.length; i++) {
      sql.exec(migrations[i]!);
      sql.exec("INSERT INTO schema_version (version) VALUES (?)", i + 1);
    }
  });
}

const frame = (f: HelloFrame | ResetFrame | EventFrame) => JSON.stringify(f);

type EventRow = { id: number; type: string; at: string; data: string };
const storedFrame = (r: EventRow) =>
  frame({ id: r.id, type: r.type, at: r.at, data: JSON.parse(r.data) as EventFrame["data"] });

/**
 * One live feed (`ops`, `vendor:<id>`, `customer:<id>` or `sku:<id>`: the object's name says which; the object
 * itself does not care). It holds the subscribers' WebSockets through the Hibernation API, so an
 * idle feed costs nothing and a keep-alive never wakes it; it keeps the last events in SQLite so a
 * client that reconnects with `after` gets exactly what it missed.
 *
 * Authorization is the Worker's: `fetch` is reached only through src/gateways/feeds.ts, after the
 * route has checked the caller. The object only re-checks, on an alarm, that the tokens its sockets
 * connected with are still valid.
 */
export class Feed extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private lastId: number;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    // Synchronous SQLite: the schema is in place before any request or RPC is delivered.
    migrate(ctx.storage);
    this.lastId = this.sql.exec<{ last_id: number }>("SELECT last_id FROM meta WHERE id = 1").one().last_id;
    // Answered by the runtime without waking the object, hibernated or not.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING, PONG));
  }

  /** WebSocket upgrades only; the subscriber comes as `?s=<json>` from the gateway. */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return new Response("Expected a WebSocket upgrade", { status: 426, headers: { Upgrade: "websocket" } });
    }
    const sub = Subscriber.parse(JSON.parse(new URL(request.url).searchParams.get("s") ?? "null"));
    const { 0: client, 1: server } = new WebSocketPair();
    const attachment: Attachment = { role: sub.role, principalId: sub.principalId, tokenId: sub.tokenId };
    this.ctx.acceptWebSocket(server, [`role:${sub.role}`]);
    server.serializeAttachment(attachment);
    // Hello, then the backlog, in one synchronous run: no publish can slip in between, so the
    // client sees no gap and no duplicate between what it missed and what comes live next.
    server.send(frame({ type: "hello", lastId: this.lastId }));
    if (sub.after !== null) this.replay(server, sub.after);
    if (revocable(sub.tokenId) && (await this.ctx.storage.getAlarm()) === null) {
      await this.ctx.storage.setAlarm(Date.now() + TOKEN_CHECK_MS);
    }
    return new Response(null, { status: 101, webSocket: client });
  }

  /**
   * Appends the events not seen before (by `sourceId`), in order, then sends each to every socket.
   * Safe to call again with the same events.
   */
  publish(input: FeedEventInput[]): PublishResult {
    const events = z.array(FeedEventInput).parse(input);
    const now = Date.now();
    const frames: string[] = [];
    this.ctx.storage.transactionSync(() => {
      let id = this.lastId;
      for (const e of events) {
        const seen = this.sql.exec("SELECT 1 FROM seen WHERE source_id = ?", e.sourceId).toArray().length > 0;
        if (seen) continue;
        id += 1;
        this.sql.exec(
          "INSERT INTO events (id, type, at, data) VALUES (?, ?, ?, ?)",
          id,
          e.type,
          e.at,
          JSON.stringify(e.data),
        );
        this.sql.exec("INSERT INTO seen (source_id, event_id, seen_at) VALUES (?, ?, ?)", e.sourceId, id, now);
        frames.push(frame({ id, type: e.type, at: e.at, data: e.data }));
      }
      if (id === this.lastId) return;
      this.sql.exec("UPDATE meta SET last_id = ? WHERE id = 1", id);
      this.sql.exec("DELETE FROM events WHERE id <= ?", id - RETAINED_EVENTS);
      this.sql.exec("DELETE FROM seen WHERE seen_at < ?", now - SOURCE_MEMORY_MS);
      this.lastId = id;
    });
    if (frames.length > 0) this.broadcast(frames);
    return { appended: frames.length, lastId: this.lastId };
  }

  /** For tests and diagnostics: where the feed stands and how many sockets it holds. */
  status(): { lastId: number; oldestId: number | null; sockets: number } {
    const oldest = this.sql.exec<{ id: number | null }>("SELECT MIN(id) AS id FROM events").one().id;
    return { lastId: this.lastId, oldestId: oldest, sockets: this.ctx.getWebSockets().length };
  }

  /**
   * Closes the sockets whose token has been revoked or has expired since they connected, and checks
   * again later while any socket with a token is open. An idle public feed never wakes for this.
   */
  override async alarm(): Promise<void> {
    const open = this.ctx
      .getWebSockets()
      .map((ws) => ({ ws, tokenId: (ws.deserializeAttachment() as Attachment).tokenId }));
    const tokenIds = [...new Set(open.flatMap((s) => (revocable(s.tokenId) ? [s.tokenId] : [])))];
    if (tokenIds.length === 0) return;
    let ended: Awaited<ReturnType<typeof endedAmong>>;
    try {
      ended = await endedAmong(this.env, tokenIds, new Date());
    } catch (err) {
      // Only this alarm or a new token socket schedules the next check: thrown, it would stop for
      // good once the runtime's few retries ran out, and a revoked token's socket would stay open.
      console.warn(JSON.stringify({ msg: "feed token check failed", error: String(err) }));
      await this.ctx.storage.setAlarm(Date.now() + TOKEN_CHECK_MS);
      return;
    }
    for (const s of open) {
      const why = s.tokenId ? ended.get(s.tokenId) : undefined;
      if (!why) continue;
      try {
        s.ws.close(TOKEN_REVOKED_CLOSE, `token ${why}`);
      } catch {
        // Already closing.
      }
    }
    if (tokenIds.some((id) => !ended.has(id))) await this.ctx.storage.setAlarm(Date.now() + TOKEN_CHECK_MS);
  }

  override webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void {
    // Pings are answered by the auto-response before they get here; anything else is not ours.
    if (ClientFrame.safeParse(message).success) {
      ws.send(PONG);
      return;
    }
    ws.close(1003, "feeds accept only 'ping'");
  }

  override webSocketClose(ws: WebSocket, code: number, reason: string): void {
    // 1005 and 1006 are reported, never sent; answer the close so the client's handshake completes.
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, reason);
    } catch {
      // Already closed: nothing to answer.
    }
  }

  private replay(ws: WebSocket, after: number): void {
    if (after >= this.lastId) {
      // Ahead of this feed (an id it never issued): the client's state cannot be trusted.
      if (after > this.lastId) ws.send(frame({ type: "reset", lastId: this.lastId }));
      return;
    }
    const oldest = this.sql.exec<{ id: number | null }>("SELECT MIN(id) AS id FROM events").one().id;
    if (oldest === null || after < oldest - 1) {
      ws.send(frame({ type: "reset", lastId: this.lastId }));
      return;
    }
    for (const row of this.sql.exec<EventRow>(
      "SELECT id, type, at, data FROM events WHERE id > ? ORDER BY id",
      after,
    )) {
      ws.send(storedFrame(row));
    }
  }

  private broadcast(frames: string[]): void {
    for (const ws of this.ctx.getWebSockets()) {
      try {
        for (const f of frames) ws.send(f);
      } catch {
        // A socket that is closing: its client reconnects with `after` and misses nothing.
      }
    }
  }
}
