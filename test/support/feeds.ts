import { env, SELF } from "cloudflare:test";
import { expect, vi } from "vitest";
import type { OrderEventMessage } from "../../src/contracts/events";
import { type EventFrame, ServerFrame } from "../../src/contracts/feeds";
import { publishOrderEvents } from "../../src/gateways/feeds";
import { api } from "./api";

/** A feed subscriber through the real Worker; every frame checked against the wire schema. */
export async function subscribe(path: string, token: string) {
  const feed = path === "/v1/feeds/ops" ? "ops" : `vendor:${path.split("/").pop()}`;
  const minted = await api<{ ticket: string }>("POST", "/v1/feeds/tickets", { token, body: { feed } });
  expect(minted.status).toBe(201);
  const res = await SELF.fetch(`https://oms.test${path}?ticket=${encodeURIComponent(minted.body.ticket)}`, {
    headers: { Upgrade: "websocket" },
  });
  expect(res.status).toBe(101);
  const ws = res.webSocket!;
  const frames: unknown[] = [];
  ws.accept();
  ws.addEventListener("message", (e) => {
    const text = e.data as string;
    if (text !== "pong") frames.push(ServerFrame.parse(JSON.parse(text)));
  });
  await vi.waitFor(() => expect(frames[0]).toMatchObject({ type: "hello" }));
  const events = (orderId: string) =>
    frames.filter((f): f is EventFrame => "id" in (f as object) && (f as EventFrame).data.orderId === orderId);
  return {
    events,
    types: (orderId: string) => events(orderId).map((e) => e.type),
    waitFor: (orderId: string, type: string) =>
      vi.waitFor(
        () => {
          const got = events(orderId).find((e) => e.type === type);
          if (!got) throw new Error(`no ${type} in ${JSON.stringify(frames)}`);
          return got;
        },
        { timeout: 5_000, interval: 5 },
      ),
  };
}

/** The orders' outbox rows as the queue carries them, oldest first. */
export async function outboxMessages(...orderIds: string[]): Promise<OrderEventMessage[]> {
  const rows = await env.DB.prepare(
    `select * from outbox where order_id in (${orderIds.map(() => "?").join(", ")}) order by id`,
  )
    .bind(...orderIds)
    .all<{ id: number; type: string; order_id: string; created_at: string; payload: string }>();
  return rows.results.map((r) => ({
    id: r.id,
    type: r.type,
    orderId: r.order_id,
    at: r.created_at,
    payload: JSON.parse(r.payload),
  }));
}

/** Every outbox row of the order published again, as the Queue fallback would, whenever it runs. */
export async function republish(orderId: string) {
  await publishOrderEvents(env, await outboxMessages(orderId));
}
