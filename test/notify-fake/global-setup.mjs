// Node side of the `notify` vitest project: serves the WhatsApp and email fake and provides its
// base URL, which vitest.config.ts passes to the Worker as WHATSAPP_API_BASE and EMAIL_API_BASE.
import { serveFake } from "../support/serve-fake.mjs";
import { createNotifyFake } from "./fake.ts";

/** @param {import("vitest/node").TestProject} project */
export default async function setup(project) {
  const served = await serveFake(createNotifyFake());
  project.provide("notifyApiBase", served.url);
  return served.close;
}
