import { env } from "cloudflare:test";

export type QueuedMessage = { id: string; channel: "whatsapp" | "email"; recipient: string };

/** Queues delivery messages as the outbox consumer writes them, without an order behind them. */
export async function queueMessages(rows: QueuedMessage[], createdAt: string, priority = 3) {
  await env.DB.batch(
    rows.map((r) =>
      env.DB.prepare(
        "insert into notifications (id, thread_key, channel, recipient, template, priority, payload, dedupe_key, created_at) values (?, ?, ?, ?, 'shipment_delivered', ?, ?, ?, ?)",
      ).bind(
        r.id,
        `order:${r.id}`,
        r.channel,
        r.recipient,
        priority,
        JSON.stringify({ params: { orderId: r.id }, text: `A parcel of order ${r.id} was delivered.` }),
        `queued:${r.id}`,
        createdAt,
      ),
    ),
  );
}
