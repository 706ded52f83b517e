// Node side of the `stripe` vitest project: serves the Stripe fake on 127.0.0.1 and a free port, and provides
// its base URL, which vitest.config.ts passes to the Worker as STRIPE_API_BASE.
// Plain JS because it needs node:http, and the project's TypeScript sees only Worker types.
import { createServer } from "node:http";
import { createStripeFake } from "./fake.ts";

/** @param {import("vitest/node").TestProject} project */
export default async function setup(project) {
  const fake = createStripeFake();
  const server = createServer(async (req, res) => {
    try {
      const chunks = [];
      for await (const chunk of req) chunks.push(chunk);
      const hasBody = req.method !== "GET" && req.method !== "HEAD";
      const request = new Request(`http://127.0.0.1${req.url}`, {
        method: req.method,
        headers: Object.entries(req.headers).flatMap(([k, v]) =>
          v === undefined ? [] : Array.isArray(v) ? v.map((one) => [k, one]) : [[k, v]],
        ),
        body: hasBody ? Buffer.concat(chunks) : undefined,
      });
      const response = await fake.handle(request);
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    } catch (err) {
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { type: "api_error", message: String(err) } }));
    }
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = /** @type {import("node:net").AddressInfo} */ (server.address());
  project.provide("stripeApiBase", `http://127.0.0.1:${port}`);

  return async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
}
