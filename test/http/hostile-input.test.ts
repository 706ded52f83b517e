import { SELF } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signHmacSha256 } from "../../src/domain/hmac";
import { jobs } from "../../src/jobs/registry";
import { ADMIN, api, newCustomer, tokenFor } from "../support/api";
import { newProduct, newSku, newVendorWithToken, newWarehouse } from "../support/catalog";
import {
  counted,
  exchange,
  findings,
  type HostileRequest,
  MALFORMED_BODIES,
  nodes,
  ODD_HEADERS,
  ODD_IDS,
  ODD_NUMBERS,
  ODD_QUERY,
  ODD_STRINGS,
  type OpenApi,
  type Operation,
  operations,
  resolve,
  type Schema,
  sample,
  setAt,
  toJson,
  WRONG_TYPES,
} from "../support/hostile";
import { checkout, pay } from "../support/marketplace";
import { seedPaidOrders } from "../support/seed-orders";

// Every operation of the published document gets hostile bodies, path ids, query values and headers;
// every list its largest page over more than 100 real orders; every job a run. The contract under
// test: never a 5xx, and every 4xx an application/problem+json with type, title, status and code.

const SEEDED_ORDERS = 110;
// The whole file must stay near two minutes on a small machine: the generator is deterministic and
// this cap fails loudly if it grows past what was measured.
const MAX_REQUESTS = 8_000;
const CARRIER = "delhivery";
const CARRIER_SECRET = "test-delhivery-webhook-secret";

type Role = "admin" | "ops" | "vendor" | "customer";

let doc: OpenApi;
let ops: Operation[];
const tokens = {} as Record<Role, string>;
const fx = {} as {
  vendorId: string;
  warehouseId: string;
  productId: string;
  skuId: string;
  seedSkuId: string;
  customerId: string;
  orderId: string;
  subOrderId: string;
  lineId: string;
  paymentId: string;
  spareTokenId: string;
};
const started = Date.now();
const perPhase: Record<string, number> = {};
let sequence = 0;

async function stock(skuId: string, warehouseId: string, onHand: number) {
  const r = await api("PUT", `/v1/skus/${skuId}/stock`, {
    token: ADMIN,
    body: { warehouseId, onHand, reason: "count" },
  });
  if (r.status !== 200) throw new Error(`stock: ${r.status} ${JSON.stringify(r.body)}`);
}

beforeAll(async () => {
  doc = (await (await SELF.fetch("http://x/v1/openapi.json")).json()) as OpenApi;
  ops = operations(doc);
  const { vendorId, token: vendorToken } = await newVendorWithToken({ hourlyCapacity: 1_000_000 });
  const warehouse = await newWarehouse(vendorId);
  const product = await newProduct();
  const [sku, seedSku] = [await newSku(vendorId, product.id), await newSku(vendorId, product.id)];
  await stock(sku.id, warehouse.id, 100);
  await stock(seedSku.id, warehouse.id, SEEDED_ORDERS + 50);
  const shopper = await newCustomer();
  const placed = await checkout(shopper.token, [{ skuId: sku.id, qty: 2 }]);
  const paid = await pay(shopper.token, placed.body.payment.id);
  const unpaid = await checkout(shopper.token, [{ skuId: sku.id, qty: 1 }]);
  const spare = await api("POST", "/v1/tokens", { token: ADMIN, body: { role: "ops" } });
  if (paid.status !== 200 || unpaid.status !== 201 || spare.status !== 201) throw new Error("fixtures");
  Object.assign(tokens, { admin: ADMIN, ops: await tokenFor("ops"), vendor: vendorToken, customer: shopper.token });
  Object.assign(fx, {
    vendorId,
    warehouseId: warehouse.id,
    productId: product.id,
    skuId: sku.id,
    seedSkuId: seedSku.id,
    customerId: shopper.customerId,
    orderId: placed.body.order.id,
    subOrderId: placed.body.order.subOrders[0].id,
    lineId: placed.body.order.subOrders[0].lines[0].id,
    paymentId: unpaid.body.payment.id,
    spareTokenId: spare.body.id,
  });
});

afterAll(() => {
  console.log(
    `hostile input: ${counted.requests} requests (and ${perPhase.seed ?? 0} seeding) in ${((Date.now() - started) / 1000).toFixed(1)}s`,
    JSON.stringify(perPhase),
  );
});

/** Ids a body property may name, so a mutated field is the only thing wrong with the request. */
function bodyIds(): Record<string, string> {
  return {
    vendorId: fx.vendorId,
    warehouseId: fx.warehouseId,
    productId: fx.productId,
    skuId: fx.skuId,
    customerId: fx.customerId,
    orderId: fx.orderId,
    lineId: fx.lineId,
  };
}

/** A real value for a path parameter. */
function realParam(path: string, name: string): string {
  const resource = path.split("/")[1];
  const byName: Record<string, string> = {
    ...bodyIds(),
    paymentId: fx.paymentId,
    country: "IN",
    code: resource === "carriers" ? CARRIER : "560034",
    carrier: CARRIER,
    name: "purge-expired-keys",
    tag: "hostile",
  };
  if (name === "id") {
    return ({ "sub-orders": fx.subOrderId, tokens: fx.spareTokenId } as Record<string, string>)[resource!] ?? "none";
  }
  return byName[name] ?? "none";
}

function urlFor(op: Operation, pathValues: Record<string, string> = {}, query = ""): string {
  const path = op.path.replace(/\{(\w+)\}/g, (_m, name: string) => pathValues[name] ?? realParam(op.path, name));
  return `/v1${path}${query ? `?${query}` : ""}`;
}

/** Headers each operation requires, fresh per request so idempotent replays never mask a path. */
function baseHeaders(op: Operation): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const p of op.params) {
    if (p.in !== "header") continue;
    if (p.name === "idempotency-key") headers[p.name] = `hostile-${++sequence}`;
    if (p.name === "stripe-signature") headers[p.name] = "t=1,v1=00";
  }
  return headers;
}

// Bodies the schema alone cannot make valid, or that would ask for needless work.
function baseBody(op: Operation): unknown {
  const route = `${op.method} ${op.path}`;
  const cart = () => ({ lines: [{ skuId: fx.skuId, qty: 1 }], shipTo: sample(doc, { $ref: "ShipTo" }, {}) });
  if (route === "POST /checkout" || route === "POST /routing/quote") return cart();
  if (route === "POST /routing/bench") return { iterations: 1, lines: 1, vendors: 1, warehousesPerVendor: 1 };
  return op.jsonBody ? sample(doc, op.jsonBody, bodyIds()) : {};
}

const roleOf = (op: Operation, i: number): Role | "public" => op.roles[i % op.roles.length] as Role | "public";
const tokenOf = (role: Role | "public") => (role === "public" ? undefined : tokens[role]);
const writes = (op: Operation) => ["POST", "PUT", "PATCH"].includes(op.method);

function jsonRequest(op: Operation, i: number, what: string, body: string | Uint8Array, type = "application/json") {
  const role = roleOf(op, i);
  return {
    label: `${op.method} ${op.path} as ${role}: ${what}`,
    method: op.method,
    url: urlFor(op),
    token: tokenOf(role),
    headers: { ...baseHeaders(op), "content-type": type },
    body,
  } satisfies HostileRequest;
}

/** Each field of a JSON body, one at a time: wrong types, odd numbers and strings, absent, oversized arrays. */
function mutations(schema: Schema, base: unknown): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const node of nodes(doc, schema)) {
    const at = node.path.join(".");
    const put = (what: string, v: unknown) => out.push([`${at} = ${what}`, setAt(base, node.path, v)]);
    for (const [what, v] of WRONG_TYPES[node.kind]) put(what, v);
    if (node.kind === "number" || node.kind === "integer") for (const [what, v] of ODD_NUMBERS) put(what, v);
    if (node.kind === "string") for (const [what, v] of ODD_STRINGS) put(what, v);
    if (node.kind === "array") {
      const item = resolve(doc, node.schema.items ?? {});
      put("[]", []);
      put(
        "600 items",
        Array.from({ length: 600 }, () => sample(doc, item, bodyIds())),
      );
    }
    if (node.required) put("absent", undefined);
  }
  return out;
}

const TRACKING_EVENT: Schema = {
  type: "object",
  properties: {
    awb: { type: "string" },
    event: { type: "string", enum: ["out_for_delivery", "delivery_attempted", "delivered"] },
    at: { type: "string", format: "date-time" },
    note: { type: "string" },
  },
  required: ["awb", "event", "at"],
};

/** Signed carrier events reach the parser that a bad signature would keep them from. */
async function signedCarrierEvents(op: Operation): Promise<HostileRequest[]> {
  const base = { awb: "HOSTILE-AWB", event: "out_for_delivery", at: new Date().toISOString() };
  const bodies: [string, string][] = [
    ...MALFORMED_BODIES.filter(([, b]) => typeof b === "string").map(([w, b]) => [w, b as string] as [string, string]),
    ...mutations(TRACKING_EVENT, base).map(([w, b]) => [w, toJson(b)] as [string, string]),
  ];
  return Promise.all(
    bodies.map(async ([what, body]) => ({
      label: `${op.method} ${op.path} signed: ${what}`,
      method: op.method,
      url: urlFor(op),
      headers: { "content-type": "application/json", "x-signature": await signHmacSha256(CARRIER_SECRET, body) },
      body,
    })),
  );
}

const CSV_HEADER = "country,code,lat,lng,place\n";
const CSV_BODIES: [string, string][] = [
  ["empty", ""],
  ["header only", CSV_HEADER],
  ["huge coordinates", `${CSV_HEADER}IN,560034,1e308,-1e308,x\n`],
  ["10k-char code", `${CSV_HEADER}IN,${"9".repeat(10_000)},12.9,77.6,x\n`],
  ["NUL fields", `${CSV_HEADER}\u0000,\u0000,\u0000,\u0000,\u0000\n`],
  ["unterminated quote", `${CSV_HEADER}"IN,560034,12.9,77.6,x\n`],
  ["SQL place", `${CSV_HEADER}IN,560035,12.9,77.6,' OR 1=1; DROP TABLE postal_codes; --\n`],
  ["no header", "IN,560034,12.9,77.6\n"],
  ["5,000 rows", CSV_HEADER + Array.from({ length: 5_000 }, (_, i) => `IN,H${i},12.9,77.6,p${i}`).join("\n")],
];

const PHOTO_BODIES: [string, Uint8Array | string, string][] = [
  ["empty png", new Uint8Array(0), "image/png"],
  ["garbage jpeg", new Uint8Array(Array.from({ length: 512 }, (_, i) => (i * 37) % 256)), "image/jpeg"],
  ["png signature only", new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), "image/png"],
  ["svg", '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "image/svg+xml"],
  ["json", "{}", "application/json"],
];

/** Every hostile body for one operation. */
async function bodyRequests(op: Operation): Promise<HostileRequest[]> {
  if (!writes(op)) return [];
  const out: HostileRequest[] = MALFORMED_BODIES.map(([what, body, type], i) =>
    jsonRequest(op, i, what, body, type ?? "application/json"),
  );
  if (op.jsonBody) {
    const base = baseBody(op);
    out.push(...mutations(op.jsonBody, base).map(([what, body], i) => jsonRequest(op, i, what, toJson(body))));
  }
  if (op.bodyTypes.includes("text/csv"))
    out.push(...CSV_BODIES.map(([w, b], i) => jsonRequest(op, i, w, b, "text/csv")));
  if (op.bodyTypes.some((t) => t.startsWith("image/"))) {
    out.push(...PHOTO_BODIES.map(([w, b, type], i) => jsonRequest(op, i, w, b, type)));
  }
  if (op.path === "/webhooks/carriers/{carrier}") out.push(...(await signedCarrierEvents(op)));
  return out;
}

/** Odd values of each path parameter (the others real), for every role the route allows. */
function pathRequests(op: Operation): HostileRequest[] {
  const names = op.params.filter((p) => p.in === "path").map((p) => p.name);
  const body = writes(op) && op.jsonBody ? toJson(baseBody(op)) : undefined;
  return names.flatMap((name) =>
    ODD_IDS.flatMap(([what, value]) =>
      op.roles.map((role) => ({
        label: `${op.method} ${op.path} as ${role}: ${name} = ${what}`,
        method: op.method,
        url: urlFor(op, { [name]: value }),
        token: tokenOf(role as Role | "public"),
        headers: { ...baseHeaders(op), ...(body ? { "content-type": "application/json" } : {}) },
        body,
      })),
    ),
  );
}

/** Odd values of each query parameter and header, plus parameters no route declares. */
function queryAndHeaderRequests(op: Operation): HostileRequest[] {
  const body = writes(op) && op.jsonBody ? toJson(baseBody(op)) : undefined;
  const type: Record<string, string> = body ? { "content-type": "application/json" } : {};
  const request = (i: number, what: string, query: string, headers: Record<string, string> = {}) => {
    const role = roleOf(op, i);
    return {
      label: `${op.method} ${op.path} as ${role}: ${what}`,
      method: op.method,
      url: urlFor(op, {}, query),
      token: tokenOf(role),
      headers: { ...baseHeaders(op), ...type, ...headers },
      body,
    } satisfies HostileRequest;
  };
  const out: HostileRequest[] = [
    request(0, "undeclared params", "__proto__=1&constructor=x&limit=1e308&cursor=%ZZ"),
    request(1, "repeated params", "limit=1&limit=2&status=x&status=y"),
  ];
  for (const p of op.params) {
    if (p.in === "query") {
      ODD_QUERY.forEach(([what, v], i) => {
        out.push(request(i, `?${p.name}=${what}`, `${p.name}=${v}`));
      });
    }
    if (p.in === "header") {
      ODD_HEADERS.forEach(([what, v], i) => {
        out.push(request(i, `${p.name}: ${what}`, "", { [p.name]: v }));
      });
    }
  }
  return out;
}

async function phase(name: string, requests: HostileRequest[]): Promise<string[]> {
  perPhase[name] = requests.length;
  expect(counted.requests + requests.length, "request cap").toBeLessThanOrEqual(MAX_REQUESTS);
  return findings(requests);
}

describe("hostile input", () => {
  it(`seeds ${SEEDED_ORDERS} paid orders through the API`, async () => {
    const orders = await seedPaidOrders(fx.seedSkuId, SEEDED_ORDERS);
    expect(orders).toHaveLength(SEEDED_ORDERS);
    // A shopper, a checkout and a payment each.
    perPhase.seed = SEEDED_ORDERS * 3;
  });

  it("serves the largest page of every list to every role allowed to ask", async () => {
    const lists = ops.filter((op) => op.method === "GET" && op.params.some((p) => p.name === "limit"));
    expect(lists.length).toBeGreaterThan(5);
    const requests = lists.flatMap((op) => {
      const max = op.params.find((p) => p.name === "limit")!.schema.maximum as number;
      return op.roles.map((role) => ({
        label: `${op.method} ${op.path} as ${role}: limit=${max}`,
        method: "GET",
        url: urlFor(op, {}, `limit=${max}`),
        token: tokenOf(role as Role | "public"),
      }));
    });
    perPhase["largest pages"] = requests.length;
    // A largest page is a valid request: it must be answered, and so must the page after it.
    const found: string[] = [];
    for (const r of requests) {
      const page = await exchange(r);
      if (page.reason || page.status !== 200) {
        found.push(page.reason ?? `${r.label} -> ${page.status} ${page.body?.code}`);
        continue;
      }
      // Not every `limit` pages: top vendors' is how many, and its export answers a file, not JSON.
      if (!page.body?.nextCursor) continue;
      const next = await exchange({
        ...r,
        label: `${r.label}, next page`,
        url: `${r.url}&cursor=${encodeURIComponent(page.body.nextCursor)}`,
      });
      if (next.reason || next.status !== 200) found.push(next.reason ?? `${next.status} ${next.body?.code}`);
    }
    expect(found).toEqual([]);
  });

  it("answers malformed and mistyped bodies on every operation with a problem, never a 5xx", async () => {
    const requests = (await Promise.all(ops.map(bodyRequests))).flat();
    expect(await phase("bodies", requests)).toEqual([]);
  });

  it("answers odd path ids on every operation with a problem, never a 5xx", async () => {
    expect(await phase("path ids", ops.flatMap(pathRequests))).toEqual([]);
  });

  it("answers bad query params and headers on every operation with a problem, never a 5xx", async () => {
    expect(await phase("query and headers", ops.flatMap(queryAndHeaderRequests))).toEqual([]);
  });

  it("runs every job, now and a month on, over everything the other tests left", async () => {
    const listed = await api("GET", "/v1/admin/jobs", { token: ADMIN });
    expect(listed.status).toBe(200);
    const names: string[] = listed.body.items.map((j: { name: string }) => j.name);
    expect(names).toEqual(jobs.map((j) => j.name));
    const monthOn = new Date(Date.now() + 31 * 86_400_000).toISOString().replace(/\.\d+Z$/, "Z");
    const requests = [undefined, monthOn].flatMap((now) =>
      names.map((name) => ({
        label: `POST /admin/jobs/${name}/run${now ? " a month on" : ""}`,
        method: "POST",
        url: `/v1/admin/jobs/${name}/run`,
        token: ADMIN,
        headers: { "content-type": "application/json" },
        body: JSON.stringify(now ? { now } : {}),
      })),
    );
    // One at a time: the jobs of one minute run one after another in production too.
    const found: string[] = [];
    for (const r of requests) found.push(...(await phase(`job ${r.label}`, [r])));
    expect(found).toEqual([]);
  });
});
