import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import worker from "../../src/dev/index";
import { signHmacSha256 } from "../../src/domain/hmac";

/** Statuses in one `messages` change, wrapped as Meta's webhook delivers them. */
export const statusDelivery = (statuses: readonly Record<string, unknown>[]) => ({
  object: "whatsapp_business_account",
  entry: [
    {
      id: "102290129340398",
      changes: [
        {
          field: "messages",
          value: {
            messaging_product: "whatsapp",
            metadata: { display_phone_number: "15550783881", phone_number_id: "106540352242922" },
            statuses,
          },
        },
      ],
    },
  ],
});

/** Meta's POST of `text` as it sends it, signed with X-Hub-Signature-256 over the raw bytes, to the Worker on `bindings`. */
export async function postSignedDelivery(text: string, secret: string, bindings: Env) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request("https://oms.test/v1/webhooks/whatsapp", {
      method: "POST",
      headers: { "content-type": "application/json", "x-hub-signature-256": await signHmacSha256(secret, text) },
      body: text,
    }),
    bindings,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { status: res.status, body: await res.text() };
}
