import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/dev/index";
import { addSeconds } from "../../src/domain/time";
import { RESEND_AFTER_SECONDS, uploadProducts } from "../../src/product-import/upload";
import { api } from "../support/api";
import { lost } from "../support/bindings";
import { newVendorWithToken } from "../support/catalog";
import { freshGtin, uniqueCode, untilImported, uploadCsv } from "../support/product-csv";

/**
 * The bindings with the order-events queue's `send` failing as a lost connection fails for the
 * sends `fails(n)` picks (`n` counting them from 1); the others reach the real queue.
 */
function queueSends(fails: (n: number) => boolean): Env {
  const queue = env.ORDER_EVENTS;
  let n = 0;
  const wrapped = {
    send: (body: unknown, options?: QueueSendOptions) => (fails(++n) ? lost() : queue.send(body, options)),
    sendBatch: (messages: Iterable<MessageSendRequest>, options?: QueueSendBatchOptions) =>
      queue.sendBatch(messages, options),
  };
  return { ...env, ORDER_EVENTS: wrapped as unknown as Env["ORDER_EVENTS"] };
}

/** The upload through the Worker's entry on the given bindings. */
async function uploadOn(e: Env, token: string, csv: string) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request("https://oms.test/v1/product-imports", {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "text/csv" },
      body: csv,
    }),
    e,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { status: res.status, body: (await res.json()) as any };
}

const oneRow = () => `product_title,sku_code,price,gtin\nLamp,${uniqueCode()},899,${freshGtin()}\n`;

describe("an import whose first page did not reach the queue", () => {
  it("a send failing once does not fail the upload; the file sent again answers the import, applied", async () => {
    const v = await newVendorWithToken();
    const csv = oneRow();
    const first = await uploadOn(
      queueSends((n) => n === 1),
      v.token,
      csv,
    );
    // The client sends it again (a retry, or the vendor's second click): the import it answers applies.
    const again = await uploadCsv(v.token, csv);
    expect(again.status).toBe(200);
    const done = await untilImported(v.token, again.body.id, 20_000);
    expect(done.body).toMatchObject({ appliedRows: 1, createdSkus: 1 });
    // The first answer was the import itself: a failed send is no error of the vendor's.
    expect(first.status).toBe(202);
    expect(first.body.id).toBe(again.body.id);
  });

  it("is stored and answered even if every send fails, and the same file sent again later starts it", async () => {
    const v = await newVendorWithToken();
    const csv = oneRow();
    const first = await uploadOn(
      queueSends(() => true),
      v.token,
      csv,
    );
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ status: "applying", appliedRows: 0, validRows: 1 });

    // Sent again at once (a double click), it is left alone: its page may be on its way.
    expect((await uploadCsv(v.token, csv)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const waiting = await api("GET", `/v1/product-imports/${first.body.id}`, { token: v.token });
    expect(waiting.body).toMatchObject({ status: "applying", appliedRows: 0 });

    // Sent again once it has shown no progress for a while, its first page is sent again.
    const later = await uploadProducts(env, v.vendorId, csv, addSeconds(new Date(), RESEND_AFTER_SECONDS + 1));
    expect(later).toMatchObject({ ok: true, replayed: true, import: { id: first.body.id } });
    const done = await untilImported(v.token, first.body.id, 20_000);
    expect(done.body).toMatchObject({ appliedRows: 1, createdSkus: 1 });
  });
});
