// Serves a provider fake (`handle(Request) => Response`) over HTTP on 127.0.0.1 and a free port,
// for a vitest globalSetup: the Worker under test reaches it as it would reach the provider.
// Plain JS because it needs node:http, and the tests' TypeScript sees only Worker types.
import { createServer } from "node:http";

/** @param {{ handle(request: Request): Promise<Response> }} fake */
export async function serveFake(fake) {
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
      res.end(JSON.stringify({ error: { message: String(err) } }));
    }
  });
  // Longer than any client's idle reuse: a connection the server closes just as workerd reuses it
  // fails the request with "Network connection lost".
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 125_000;
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = /** @type {import("node:net").AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
