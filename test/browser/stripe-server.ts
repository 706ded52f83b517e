// A second `bun run start` with Stripe configured: its SDK talks to the Stripe fake (test/stripe-fake)
// served on loopback from this process, and Stripe.js is a stub the browser context answers for
// js.stripe.com, so a Stripe checkout runs end to end with nothing leaving the machine.
import type { BrowserContext } from "playwright-core";
import Stripe from "stripe";
import { type FreshServer, startFreshServer } from "../../scripts/lib/fresh-server.ts";
import { createStripeFake } from "../stripe-fake/fake.ts";
import { serveFake } from "../support/serve-fake.mjs";

export const STRIPE_JS_ORIGIN = "https://js.stripe.com";
const KEYS = {
  STRIPE_SECRET_KEY: "sk_test_browser",
  STRIPE_WEBHOOK_SECRET: "whsec_browser",
  STRIPE_PUBLISHABLE_KEY: "pk_test_browser",
};

export type StripeServer = {
  server: FreshServer;
  publishableKey: string;
  /** The shopper's bank says yes: the fake's intent succeeds and Stripe's signed event reaches the webhook. */
  pay(paymentIntentId: string): Promise<void>;
  stop(): Promise<void>;
};

export async function startStripeServer(port: string): Promise<StripeServer> {
  const fake = createStripeFake();
  const served = await serveFake(fake);
  let server: FreshServer;
  try {
    server = await startFreshServer(port, "oms-browser-stripe", { ...KEYS, STRIPE_API_BASE: served.url });
  } catch (err) {
    await served.close();
    throw err;
  }
  return {
    server,
    publishableKey: KEYS.STRIPE_PUBLISHABLE_KEY,
    async pay(paymentIntentId) {
      const settled = await fake.handle(
        new Request(`${served.url}/_fake/payment_intents/${paymentIntentId}/outcome`, {
          method: "POST",
          body: JSON.stringify({ outcome: "succeeded" }),
        }),
      );
      if (!settled.ok) throw new Error(`fake settle ${paymentIntentId}: ${settled.status} ${await settled.text()}`);
      const payload = JSON.stringify(((await settled.json()) as { event: unknown }).event);
      const res = await fetch(new URL("/v1/webhooks/stripe", server.url), {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "stripe-signature": Stripe.webhooks.generateTestHeaderString({ payload, secret: KEYS.STRIPE_WEBHOOK_SECRET }),
        },
        body: payload,
      });
      if (!res.ok) throw new Error(`webhook for ${paymentIntentId}: ${res.status} ${await res.text()}`);
    },
    async stop() {
      await server.stop();
      await served.close();
    },
  };
}

/**
 * Answers every js.stripe.com request with a stub of Stripe.js: `Stripe(key)` with `elements()`,
 * a Payment Element that mounts a placeholder, and `confirmPayment` that reports the intent
 * processing, as a card awaiting its bank would. The page's calls are kept in `window.stripeStub`.
 */
export async function stubStripeJs(context: BrowserContext) {
  await context.route(`${STRIPE_JS_ORIGIN}/**`, (route) => {
    // The loader asks for its release train's script (/<train>/stripe.js) and checks the version.
    const train = new URL(route.request().url()).pathname.split("/")[1] ?? "v3";
    return route.fulfill({ status: 200, contentType: "application/javascript", body: stubScript(train) });
  });
}

export type StripeStubCalls = {
  keys: string[];
  clientSecrets: string[];
  confirmed: { clientSecret: string; returnUrl: string; redirect: string }[];
};

function stubScript(train: string): string {
  return `(() => {
  const calls = { keys: [], clientSecrets: [], confirmed: [] };
  window.stripeStub = calls;
  function Stripe(key) {
    calls.keys.push(key);
    return {
      elements({ clientSecret }) {
        calls.clientSecrets.push(clientSecret);
        return {
          clientSecret,
          create(type) {
            const node = document.createElement("p");
            node.textContent = "Stripe " + type + " element (stub)";
            return { mount: (el) => el.appendChild(node), destroy: () => node.remove() };
          },
        };
      },
      async confirmPayment({ elements, confirmParams, redirect }) {
        calls.confirmed.push({ clientSecret: elements.clientSecret, returnUrl: confirmParams.return_url, redirect });
        return { paymentIntent: { id: elements.clientSecret.split("_secret_")[0], status: "processing" } };
      },
    };
  }
  Stripe.version = ${JSON.stringify(train)};
  window.Stripe = Stripe;
})();
`;
}
