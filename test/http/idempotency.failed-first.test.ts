import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { uid } from "../support/api";
import { d1Statements, lost } from "../support/bindings";
import { inr, newProduct, newSku, newVendorWithToken } from "../support/catalog";

/** Through the whole app with `bindings`, with an execution context, as the Worker entry calls it. */
async function send(bindings: Env, path: string, init: RequestInit) {
  const ctx = createExecutionContext();
  const res = await createApp().request(path, init, bindings, ctx);
  const body = (await res.json()) as Record<string, any>;
  await waitOnExecutionContext(ctx);
  return { status: res.status, body, replayed: res.headers.get("idempotent-replayed") };
}

describe("an idempotent retry waiting for a first request that fails", () => {
  it("runs once the first frees its key, instead of answering 409 'still running'", async () => {
    const v = await newVendorWithToken();
    const product = await newProduct();
    const sku = await newSku(v.vendorId, product.id);
    // The first write of the SKU fails after a while, as a D1 call lost on its way does (a 500);
    // every later one reaches D1.
    let writes = 0;
    const firstWriteFails = d1Statements((call, sql) =>
      sql.startsWith('update "skus"')
        ? async (...args) => {
            writes += 1;
            if (writes > 1) return call(...args);
            await scheduler.wait(1_500);
            return lost();
          }
        : call,
    );
    const key = uid("erp-retry-");
    const init = () => ({
      method: "PATCH",
      headers: { authorization: `Bearer ${v.token}`, "content-type": "application/json", "idempotency-key": key },
      body: JSON.stringify({ price: inr(45_000) }),
    });
    const first = send(firstWriteFails, `/v1/skus/${sku.id}`, init());
    // The retry arrives while the first still holds the key (the ERP timed out waiting for it).
    while (!(await env.DB.prepare("select 1 from idempotency_keys where key = ?").bind(key).first())) {
      await scheduler.wait(20);
    }
    const retry = send(firstWriteFails, `/v1/skus/${sku.id}`, init());
    const [a, b] = await Promise.all([first, retry]);
    expect(a.status).toBe(500);
    expect([b.status, b.replayed, b.body.id]).toEqual([200, null, sku.id]);
    expect(b.body.price).toEqual(inr(45_000));
    expect(writes).toBe(2);

    // The retry's answer is the key's now: another retry is its replay.
    const again = await send(firstWriteFails, `/v1/skus/${sku.id}`, init());
    expect([again.status, again.replayed, again.body]).toEqual([200, "true", b.body]);
  });
});
