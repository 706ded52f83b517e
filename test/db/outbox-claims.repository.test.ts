import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { database } from "../../src/db/client";
import { announceRefund, claimDueOutbox, claimOutbox, findOutboxByKey } from "../../src/db/outbox";
import { sweepOutbox } from "../../src/gateways/order-events";
import { uid } from "../support/api";

const db = () => database(env);

/** A cancel's message as a cancel writes it: saying nothing was refunded yet. */
async function cancelMessage(createdAt: string) {
  const key = uid("order.cancelled:");
  await env.DB.prepare(
    `insert into outbox (type, order_id, payload, dedupe_key, created_at)
     values ('order.cancelled', null, '{"reason":"vendor_cancelled"}', ?, ?)`,
  )
    .bind(key, createdAt)
    .run();
  return key;
}

describe("outbox claims", () => {
  it("a refund told after a sender took the cancel's message is not written into what already went", async () => {
    const now = new Date();
    const key = await cancelMessage(now.toISOString());
    const [taken] = await claimOutbox(db(), [], [key], now);
    expect(taken).toMatchObject({ dedupeKey: key, payload: { reason: "vendor_cancelled" } });

    // The sender has the row in hand: the refund must go in a message of its own.
    expect(await announceRefund(db(), key, 1_500, "so_claimed")).toBe("gone");
    expect((await findOutboxByKey(db(), key))!.payload).toEqual({ reason: "vendor_cancelled" });
  });

  it("a refund told before any sender took the message goes out on it", async () => {
    const now = new Date();
    const key = await cancelMessage(now.toISOString());
    expect(await announceRefund(db(), key, 1_500, "so_open")).toBe("told");
    const [taken] = await claimOutbox(db(), [], [key], now);
    expect(taken!.payload).toEqual({ reason: "vendor_cancelled", refundedMinor: 1_500 });
  });

  it("a row is taken by one sender at a time, and again once its sender's claim lapses unsent", async () => {
    const now = new Date();
    const key = await cancelMessage(now.toISOString());
    const [taken] = await claimOutbox(db(), [], [key], now);
    expect(await claimOutbox(db(), [taken!.id], [], new Date(now.getTime() + 1_000))).toEqual([]);

    // The first sender died before marking it sent: a minute on, the sweeper sends it.
    const later = new Date(now.getTime() + 61_000);
    const swept = await claimDueOutbox(db(), later.toISOString(), 500, later);
    expect(swept.map((r) => r.id)).toContain(taken!.id);
  });

  it("the sweeper skips a row a sender is sending, and sends once a row whose sender died", async () => {
    const created = new Date(Date.now() - 120_000);
    const sending = await cancelMessage(created.toISOString());
    const died = await cancelMessage(created.toISOString());
    const [atWork] = await claimOutbox(db(), [], [sending], new Date());
    const [dead] = await claimOutbox(db(), [], [died], new Date(Date.now() - 61_000));

    const now = new Date();
    await sweepOutbox(env, now);
    expect((await findOutboxByKey(db(), sending))!.dispatchedAt).toBeNull();
    expect((await findOutboxByKey(db(), died))!.dispatchedAt).toBe(now.toISOString());
    const later = new Date(Date.now() + 120_000);
    const again = (await claimDueOutbox(db(), later.toISOString(), 500, later)).map((r) => r.id);
    expect(again).toContain(atWork!.id);
    expect(again).not.toContain(dead!.id);
  });
});
