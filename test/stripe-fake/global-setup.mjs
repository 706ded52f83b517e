// Node side of the `stripe` vitest project: serves the Stripe fake and provides its base URL,
// which vitest.config.ts passes to the Worker as STRIPE_API_BASE.
import { serveFake } from "../support/serve-fake.mjs";
import { createStripeFake } from "./fake.ts";

/** @param {import("vitest/node").TestProject} project */
export default async function setup(project) {
  const served = await serveFake(createStripeFake());
  project.provide("stripeApiBase", served.url);
  return served.close;
}
