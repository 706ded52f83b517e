// Seeds the demo marketplace through the public API with an admin token. The plan is drawn from a
// fixed-seed PRNG before any request is sent, so every fresh clone gets the same marketplace
// whatever order the concurrent requests complete in.
import { createHmac } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { type Api, listAll, mapLimit } from "./api.ts";
import { type Category, DEMO_PRODUCTS, DEMO_VENDORS, type DemoProduct, type DemoVendor } from "./seed-data.ts";

const CURRENCY = "INR";
const COUNTRY = "IN";
const CONCURRENCY = 8;
const SEED = 0x0e5_2026;
/** Stays under the API's 256 KiB request body limit with room to spare. */
const CSV_CHUNK_BYTES = 128 * 1024;

export const POSTAL_CODES_CSV = "scripts/data/postal-codes-in.csv";

/** mulberry32: tiny, fast and good enough for demo data. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const sample = <T>(items: readonly T[], n: number): T[] => {
    const pool = [...items];
    for (let i = pool.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [pool[i], pool[j]] = [pool[j]!, pool[i]!];
    }
    return pool.slice(0, n);
  };
  return { next, int, pick, sample };
}

/** EAN-13 check digit: weights 1,3,1,3... from the left over the first 12 digits. */
export function ean13(first12: string): string {
  if (!/^\d{12}$/.test(first12)) throw new Error(`EAN-13 needs 12 digits, got "${first12}"`);
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(first12[i]) * (i % 2 === 0 ? 1 : 3);
  return `${first12}${(10 - (sum % 10)) % 10}`;
}

type PlannedSku = {
  vendor: number;
  product: number;
  code: string;
  title: string;
  amountMinor: number;
  barcode: string;
  lowStockThreshold: number;
  /** [warehouse index within the vendor, units on hand] */
  stock: [number, number][];
};

export type SeedPlan = { vendors: DemoVendor[]; products: DemoProduct[]; skus: PlannedSku[] };

export function planDemoMarketplace(): SeedPlan {
  const r = prng(SEED);
  const byCategory = new Map<Category, number[]>();
  DEMO_VENDORS.forEach((v, i) => {
    for (const c of v.categories) byCategory.set(c, [...(byCategory.get(c) ?? []), i]);
  });
  const skus: PlannedSku[] = [];
  DEMO_PRODUCTS.forEach((product, pi) => {
    const sellers = byCategory.get(product.category) ?? [];
    if (sellers.length === 0) throw new Error(`no demo vendor sells ${product.category}`);
    // Mostly several sellers per product so routing has choices; 1 to 4 as the brief asks.
    const counts = sellers.length >= 4 ? [2, 3, 4, 4, 4] : sellers.length === 3 ? [2, 3, 3, 3] : [1, 2, 2, 2];
    const n = Math.min(sellers.length, r.pick(counts));
    for (const vi of r.sample(sellers, n).sort((a, b) => a - b)) {
      const vendor = DEMO_VENDORS[vi]!;
      // Each seller prices within about -10%..+15% of the going rate, ending in 9 like real shelves.
      const rupees = Math.max(9, Math.round((product.rupees * (0.9 + r.next() * 0.25)) / 10) * 10 - 1);
      const warehouses = r.sample(
        vendor.warehouses.map((_, i) => i),
        r.int(1, Math.min(3, vendor.warehouses.length)),
      );
      const lowStockThreshold = r.pick([5, 10, 10, 15, 20, 25]);
      // About one stock level in eight starts at or below the threshold, so low-stock alerts have work.
      const stock = warehouses
        .sort((a, b) => a - b)
        .map((w): [number, number] => [w, r.next() < 0.125 ? r.int(0, lowStockThreshold) : r.int(20, 240)]);
      const company = String(1000 + vi * 137).padStart(4, "0");
      const item = String(pi + 1).padStart(5, "0");
      skus.push({
        vendor: vi,
        product: pi,
        code: `${vendor.prefix}-${product.code}`,
        title: product.title,
        amountMinor: rupees * 100,
        barcode: ean13(`890${company}${item}`),
        lowStockThreshold,
        stock,
      });
    }
  });
  return { vendors: DEMO_VENDORS, products: DEMO_PRODUCTS, skus };
}

/** The marketplace counts as seeded once any vendor exists. */
export async function isSeeded(client: Api): Promise<boolean> {
  const page = await client.request<{ items: unknown[] }>("GET", "/v1/vendors?limit=1");
  return page.items.length > 0;
}

export type SeedSummary = {
  vendors: number;
  warehouses: number;
  products: number;
  skus: number;
  stockLevels: number;
  postalCodes: number | null;
};

type Log = (line: string) => void;

/** Imports the postal-code CSV in chunks under the body limit, each with the header row. */
export async function importPostalCodes(client: Api, root: string, log: Log): Promise<number | null> {
  const file = path.join(root, POSTAL_CODES_CSV);
  if (!existsSync(file)) {
    log(`seed: warning: ${POSTAL_CODES_CSV} not found, postal-code table left empty`);
    return null;
  }
  const lines = readFileSync(file, "utf8").split(/\r?\n/);
  const header = lines.shift() ?? "";
  const chunks: string[] = [];
  let current: string[] = [];
  let size = 0;
  for (const line of lines) {
    if (!line.trim()) continue;
    if (size + line.length + 1 > CSV_CHUNK_BYTES && current.length > 0) {
      chunks.push(current.join("\n"));
      current = [];
      size = 0;
    }
    current.push(line);
    size += line.length + 1;
  }
  if (current.length > 0) chunks.push(current.join("\n"));
  let imported = 0;
  const rejected: { line: number; message: string }[] = [];
  for (const chunk of chunks) {
    const res = await client.request<{ imported: number; rejected?: { line: number; message: string }[] }>(
      "POST",
      "/v1/admin/postal-codes",
      { raw: { contentType: "text/csv", text: `${header}\n${chunk}\n` }, timeoutMs: 120_000 },
    );
    imported += res.imported;
    rejected.push(...(res.rejected ?? []));
  }
  if (rejected.length > 0) {
    log(
      `seed: warning: ${rejected.length} postal-code rows rejected, e.g. line ${rejected[0]!.line}: ${rejected[0]!.message}`,
    );
  }
  return imported;
}

/** Creates the whole demo marketplace; throws ApiProblem on the first failed request. */
export async function seedDemoMarketplace(client: Api, root: string, log: Log): Promise<SeedSummary> {
  const plan = planDemoMarketplace();
  const postalCodes = await importPostalCodes(client, root, log);

  const vendors = await mapLimit(plan.vendors, CONCURRENCY, (v) =>
    client.request<{ id: string }>("POST", "/v1/vendors", {
      body: {
        name: v.name,
        dispatchSlaHours: v.dispatchSlaHours,
        nudgeLeadMinutes: v.nudgeLeadMinutes,
        commissionBps: v.commissionBps,
        hourlyCapacity: v.hourlyCapacity,
        // A reserved domain: demo nudges can never reach a real mailbox.
        contactEmail: `dispatch.${v.prefix.toLowerCase()}@example.com`,
      },
    }),
  );

  const warehouseJobs = plan.vendors.flatMap((v, vi) => v.warehouses.map((w, wi) => ({ vi, wi, w })));
  const warehouseIds = plan.vendors.map((v) => new Array<string>(v.warehouses.length));
  await mapLimit(warehouseJobs, CONCURRENCY, async ({ vi, wi, w }) => {
    const created = await client.request<{ id: string }>("POST", `/v1/vendors/${vendors[vi]!.id}/warehouses`, {
      body: { name: `${w.name} Warehouse`, lat: w.lat, lng: w.lng, postalCode: w.postalCode, country: COUNTRY },
    });
    warehouseIds[vi]![wi] = created.id;
  });

  const products = await mapLimit(plan.products, CONCURRENCY, (p) =>
    client.request<{ id: string }>("POST", "/v1/products", { body: { title: p.title, description: p.description } }),
  );

  const skuIds = await mapLimit(plan.skus, CONCURRENCY, async (s) => {
    const created = await client.request<{ id: string }>("POST", "/v1/skus", {
      body: {
        vendorId: vendors[s.vendor]!.id,
        productId: products[s.product]!.id,
        code: s.code,
        title: s.title,
        price: { amountMinor: s.amountMinor, currency: CURRENCY },
        barcode: s.barcode,
        lowStockThreshold: s.lowStockThreshold,
      },
    });
    return created.id;
  });

  const stockJobs = plan.skus.flatMap((s, si) =>
    s.stock.map(([wi, onHand]) => ({ skuId: skuIds[si]!, warehouseId: warehouseIds[s.vendor]![wi]!, onHand })),
  );
  await mapLimit(stockJobs, CONCURRENCY, ({ skuId, warehouseId, onHand }) =>
    client.request("PUT", `/v1/skus/${skuId}/stock`, { body: { warehouseId, onHand, reason: "count" } }),
  );

  await seedRouting(
    client,
    vendors.map((v) => v.id),
  );
  const firstVendorStock = plan.skus.flatMap((sku, si) =>
    sku.vendor === 0
      ? sku.stock.map(([wi, onHand]) => ({ skuId: skuIds[si]!, warehouseId: warehouseIds[0]![wi]!, onHand }))
      : [],
  );
  await seedBridge(client, vendors[0]!.id, firstVendorStock.slice(0, 3));
  await seedProductImport(client, vendors[0]!.id, plan, warehouseIds[0]![0]!);
  // Payout accounts (the simulator's are ready at once) for every vendor but the last, whose
  // Payouts tab then shows why it is not paid yet.
  await mapLimit(vendors.slice(0, -1), CONCURRENCY, (v) =>
    client.request("POST", `/v1/vendors/${v.id}/payout-account`),
  );
  // Today's stock snapshot and the low-stock alerts of the seeded levels, without waiting for the
  // quarter-hour: the vendor app's Reorder tab and the analytics inventory have figures at once.
  for (const job of ["analytics-rollups", "low-stock-alerts"])
    await client.request("POST", `/v1/admin/jobs/${job}/run`, { body: {} });

  return {
    vendors: vendors.length,
    warehouses: warehouseJobs.length,
    products: products.length,
    skus: skuIds.length,
    stockLevels: stockJobs.length,
    postalCodes,
  };
}

/**
 * The first vendor's inventory bridge, as its sheet would use it: a secret, and one signed request
 * of counts, the first a couple of units short of the marketplace, so the vendor app's drift report
 * has something to show once the every-minute reconcile has run.
 */
async function seedBridge(
  client: Api,
  vendorId: string,
  levels: { skuId: string; warehouseId: string; onHand: number }[],
) {
  const { secret } = await client.request<{ secret: string }>(
    "POST",
    `/v1/vendors/${vendorId}/inventory-bridge/secret`,
  );
  const countedAt = new Date().toISOString();
  const rows = levels.map((l, i) => ({
    skuId: l.skuId,
    warehouseId: l.warehouseId,
    count: i === 0 ? Math.max(0, l.onHand - 2) : l.onHand,
    countedAt,
  }));
  const text = JSON.stringify({ rows });
  const t = Math.floor(Date.now() / 1000);
  const v1 = createHmac("sha256", secret).update(`${t}.${text}`).digest("hex");
  await client.request("POST", `/v1/vendors/${vendorId}/inventory-bridge`, {
    token: "",
    raw: { contentType: "application/json", text },
    headers: { "bridge-signature": `t=${t},v1=${v1}` },
  });
}

/**
 * The first vendor's product CSV, as its Products tab shows it: a new product, an offer on a product
 * another demo vendor already sells (its GTIN), stock for a level the file creates, and one refused row.
 */
async function seedProductImport(client: Api, vendorId: string, plan: SeedPlan, warehouseId: string) {
  const token = (await client.request<{ token: string }>("POST", "/v1/tokens", { body: { role: "vendor", vendorId } }))
    .token;
  // A product vendor 0 does not sell yet: one it did would then be listed twice by vendor 0, which
  // checkout reads as two variants of it.
  const other = plan.skus.find(
    (s) => s.vendor !== 0 && !plan.skus.some((t) => t.vendor === 0 && t.product === s.product),
  )!;
  const quoted = (text: string) => `"${text.replaceAll('"', '""')}"`;
  const csv = [
    `product_title,sku_code,sku_title,price,gtin,stock:${warehouseId}`,
    `Brass diya set,${plan.vendors[0]!.prefix}-DIYA-4,Brass diya set of 4,749.00,${ean13("890999000001")},25`,
    `${quoted(plan.products[other.product]!.title)},${plan.vendors[0]!.prefix}-OFFER-1,${quoted(other.title)},${((other.amountMinor - 1_000) / 100).toFixed(2)},${other.barcode},6`,
    `Clay lamp,${plan.vendors[0]!.prefix}-LAMP-1,,12.345,${ean13("890999000002")},3`,
  ].join("\n");
  const imp = await client.request<{ id: string; status: string }>("POST", "/v1/product-imports", {
    token,
    raw: { contentType: "text/csv", text: csv },
  });
  // Applied in the background: the seed hands over a marketplace that is done changing.
  for (let i = 0, status = imp.status; status !== "done" && i < 60; i++) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    status = (await client.request<{ status: string }>("GET", `/v1/product-imports/${imp.id}`, { token })).status;
  }
}

/** Platform rate cards: distance bands (km) by weight bands (g), price in paise, transit in days. */
const RATE_CARDS: { maxKm: number; transitDays: number; prices: [number, number][] }[] = [
  {
    maxKm: 50,
    transitDays: 1,
    prices: [
      [1_000, 4_000],
      [5_000, 9_000],
      [20_000, 25_000],
    ],
  },
  {
    maxKm: 500,
    transitDays: 2,
    prices: [
      [1_000, 7_000],
      [5_000, 15_000],
      [20_000, 40_000],
    ],
  },
  {
    maxKm: 1_500,
    transitDays: 3,
    prices: [
      [1_000, 9_000],
      [5_000, 20_000],
      [20_000, 55_000],
    ],
  },
  {
    maxKm: 3_500,
    transitDays: 5,
    prices: [
      [1_000, 12_000],
      [5_000, 26_000],
      [20_000, 70_000],
    ],
  },
];

/**
 * Routing's demo data: the platform's rate cards, and for each vendor a seeded outcome history
 * (its dispatch speed and reliability as if from past orders) until real outcomes replace it.
 * Its own PRNG stream, so the marketplace plan above stays what it was.
 */
async function seedRouting(client: Api, vendorIds: string[]) {
  const cards = RATE_CARDS.flatMap((band) =>
    band.prices.map(([maxWeightGrams, amountMinor]) => ({
      maxKm: band.maxKm,
      transitDays: band.transitDays,
      maxWeightGrams,
      amountMinor,
    })),
  );
  await mapLimit(cards, CONCURRENCY, (c) =>
    client.request("POST", "/v1/rate-cards", {
      body: {
        vendorId: null,
        maxKm: c.maxKm,
        maxWeightGrams: c.maxWeightGrams,
        price: { amountMinor: c.amountMinor, currency: CURRENCY },
        transitDays: c.transitDays,
      },
    }),
  );
  const r = prng(SEED + 1);
  await mapLimit(vendorIds, CONCURRENCY, (vendorId) =>
    client.request("PUT", `/v1/routing/vendor-scores/${vendorId}`, {
      body: {
        avgDispatchHours: r.int(4, 30),
        onTimeRateBps: r.int(7_000, 9_900),
        breachRateBps: r.int(0, 800),
        cancelRateBps: r.int(0, 500),
        sampleSize: r.int(20, 80),
      },
    }),
  );
}

/** The ids of the demo vendors handed tokens: the first two of the seed, found by name. */
export async function demoVendorIds(client: Api, count: number): Promise<string[]> {
  const all = await listAll<{ id: string; name: string }>(client, "/v1/vendors");
  const byName = new Map(all.map((v) => [v.name, v.id]));
  const picked = DEMO_VENDORS.map((v) => byName.get(v.name)).filter((id): id is string => id !== undefined);
  for (const v of all) if (!picked.includes(v.id)) picked.push(v.id);
  return picked.slice(0, count);
}
