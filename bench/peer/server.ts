// The Postgres peer (../shared/peers/README.md): the conventional design as a yardstick. One
// transaction per checkout: SELECT ... FOR UPDATE on the SKU rows (sorted, so carts cannot deadlock),
// check every line, UPDATE the decrement, INSERT the order, a sub-order per seller and the line
// items, COMMIT (synchronous_commit on: every order durable). A tiny node:http server, started by
// `bun run bench -- --peer` (bench/peer/postgres.ts) with PG* variables naming its database and PORT.
//
//   POST /buy/hot        1 unit of SKU hot as an order: 200 {ok:true} or 409 {ok:false}
//   POST /checkout3      1 unit each of c1, c2, c3 (three sellers), all or nothing
//   POST /claim/hot      the stock decrement alone, no order
//   POST /stock/:sku/:n  set stock; GET /left/:sku -> {left, orders, lines}
import http from "node:http";
import pg from "pg";

const SELLER_OF: Record<string, string> = { hot: "s1", c1: "s1", c2: "s2", c3: "s3" };
const CART3 = ["c1", "c2", "c3"];
type Line = { sku: string; qty: number };
type Reply = [number, unknown];

const pool = new pg.Pool({ max: Number(process.env.PGPOOL ?? 16) });

async function ensureSchema() {
  await pool.query(`
    CREATE TABLE IF NOT EXISTS orders (id BIGSERIAL PRIMARY KEY, units INT NOT NULL, created_at TIMESTAMPTZ NOT NULL DEFAULT now());
    CREATE TABLE IF NOT EXISTS sub_orders (id BIGSERIAL PRIMARY KEY, order_id BIGINT NOT NULL REFERENCES orders, seller_id TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS line_items (id BIGSERIAL PRIMARY KEY, sub_order_id BIGINT NOT NULL REFERENCES sub_orders, sku TEXT NOT NULL, qty INT NOT NULL);
    CREATE INDEX IF NOT EXISTS line_items_sku ON line_items (sku);
    CREATE TABLE IF NOT EXISTS skus (sku TEXT PRIMARY KEY, seller_id TEXT NOT NULL, stock INT NOT NULL CHECK (stock >= 0));`);
}

/** INSERT the order, one sub-order per seller and one line item per SKU, on the open transaction `c`. */
async function insertOrder(c: pg.PoolClient, lines: Line[]): Promise<string> {
  const {
    rows: [o],
  } = await c.query<{ id: string }>("INSERT INTO orders (units) VALUES ($1) RETURNING id", [lines.length]);
  const sellers = [...new Set(lines.map((l) => SELLER_OF[l.sku]))];
  const { rows: subs } = await c.query<{ id: string; seller_id: string }>(
    "INSERT INTO sub_orders (order_id, seller_id) SELECT $1, unnest($2::text[]) RETURNING id, seller_id",
    [o!.id, sellers],
  );
  const subOf = Object.fromEntries(subs.map((s) => [s.seller_id, s.id]));
  await c.query(
    "INSERT INTO line_items (sub_order_id, sku, qty) SELECT unnest($1::bigint[]), unnest($2::text[]), unnest($3::int[])",
    [lines.map((l) => subOf[SELLER_OF[l.sku]!]), lines.map((l) => l.sku), lines.map((l) => l.qty)],
  );
  return o!.id;
}

async function claim(sku: string): Promise<Reply> {
  const { rowCount } = await pool.query("UPDATE skus SET stock = stock - 1 WHERE sku = $1 AND stock >= 1", [sku]);
  return [rowCount === 1 ? 200 : 409, { ok: rowCount === 1 }];
}

async function checkout(unsorted: Line[]): Promise<Reply> {
  const lines = [...unsorted].sort((a, b) => (a.sku < b.sku ? -1 : 1));
  const skus = lines.map((l) => l.sku);
  const c = await pool.connect();
  try {
    await c.query("BEGIN");
    const { rows } = await c.query<{ sku: string; stock: number }>(
      "SELECT sku, stock FROM skus WHERE sku = ANY($1::text[]) ORDER BY sku FOR UPDATE",
      [skus],
    );
    const stock = Object.fromEntries(rows.map((r) => [r.sku, r.stock]));
    if (!lines.every((l) => (stock[l.sku] ?? -1) >= l.qty)) {
      await c.query("ROLLBACK");
      return [409, { ok: false, error: "insufficient stock" }];
    }
    await c.query(
      "UPDATE skus SET stock = skus.stock - v.qty FROM unnest($1::text[], $2::int[]) AS v(sku, qty) WHERE skus.sku = v.sku",
      [skus, lines.map((l) => l.qty)],
    );
    const orderId = await insertOrder(c, lines);
    await c.query("COMMIT");
    return [200, { ok: true, orderId }];
  } catch (err) {
    await c.query("ROLLBACK").catch(() => {});
    throw err;
  } finally {
    c.release();
  }
}

const routes: Record<string, (p: Record<string, string>) => Promise<Reply>> = {
  "POST /buy/hot": () => checkout([{ sku: "hot", qty: 1 }]),
  "POST /checkout3": () => checkout(CART3.map((sku) => ({ sku, qty: 1 }))),
  "POST /claim/hot": () => claim("hot"),
  "POST /stock/:sku/:n": async ({ sku, n }) => {
    await pool.query("INSERT INTO skus VALUES ($1, $2, $3) ON CONFLICT (sku) DO UPDATE SET stock = EXCLUDED.stock", [
      sku,
      SELLER_OF[sku!] ?? "s1",
      Number(n),
    ]);
    return [200, { ok: true }];
  },
  "GET /left/:sku": async ({ sku }) => {
    const left = await pool.query<{ stock: number }>("SELECT stock FROM skus WHERE sku = $1", [sku]);
    const sold = await pool.query<{ orders: number; lines: number }>(
      "SELECT (SELECT count(*) FROM orders)::int AS orders, (SELECT count(*) FROM line_items WHERE sku = $1)::int AS lines",
      [sku],
    );
    return [200, { left: left.rows[0]?.stock ?? null, ...sold.rows[0] }];
  },
  "GET /ping": async () => [200, "ok"],
};

const table = Object.entries(routes).map(([key, handler]) => {
  const [method, route] = key.split(" ") as [string, string];
  return { method, parts: route.split("/"), handler };
});

function route(method: string, url: string) {
  const parts = url.split("?")[0]!.split("/");
  for (const t of table) {
    if (t.method !== method || t.parts.length !== parts.length) continue;
    if (!t.parts.every((p, i) => p.startsWith(":") || p === parts[i])) continue;
    const params: Record<string, string> = {};
    t.parts.forEach((p, i) => {
      if (p.startsWith(":")) params[p.slice(1)] = decodeURIComponent(parts[i]!);
    });
    return () => t.handler(params);
  }
  return undefined;
}

await ensureSchema();
const server = http.createServer((req, res) => {
  req.resume(); // bodies are ignored; drain them so keep-alive works
  req.on("end", async () => {
    const handler = route(req.method ?? "", req.url ?? "");
    let reply: Reply = [404, { error: "not found" }];
    if (handler) {
      try {
        reply = await handler();
      } catch (err) {
        reply = [500, { error: err instanceof Error ? err.message : String(err) }];
      }
    }
    const out = JSON.stringify(reply[1]);
    res.writeHead(reply[0], { "content-type": "application/json", "content-length": Buffer.byteLength(out) });
    res.end(out);
  });
});
server.keepAliveTimeout = 60_000;
const port = Number(process.env.PORT ?? 8801);
server.listen(port, "127.0.0.1", () => console.log(`pg peer listening on http://127.0.0.1:${port}`));
