// The part of `bun run dev` and `bun run start` that talks to a running Worker: wait for it,
// seed the demo marketplace, hand out demo tokens, and drive the Cron Triggers (neither
// `wrangler dev` nor a plain Miniflare server fires them locally).
import { type Api, ApiProblem, api } from "./api.ts";
import { type CronSchedule, cronMatches, parseCron } from "./cron.ts";
import { log, ROOT, writeJson } from "./local-env.ts";
import { demoVendorIds, importPostalCodes, isSeeded, seedDemoMarketplace } from "./seed.ts";
import { seedDeliveredOrders } from "./seed-orders.ts";

export type DemoToken = { role: string; token: string; vendorId?: string; customerId?: string };

/** Polls the OpenAPI document until the Worker answers; `exited` reports a server that died meanwhile. */
export async function waitUntilReady(baseUrl: string, exited: () => string | null, timeoutMs = 180_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const gone = exited();
    if (gone) throw new Error(`the server stopped before it answered: ${gone}`);
    try {
      const res = await fetch(new URL("/v1/openapi.json", baseUrl), { signal: AbortSignal.timeout(5_000) });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`${baseUrl}/v1/openapi.json did not answer within ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Seeds when the marketplace is empty, then creates fresh demo tokens, prints them and writes demo.json. */
export async function prepareDemo(baseUrl: string, adminToken: string): Promise<DemoToken[]> {
  const admin = api(baseUrl, adminToken);
  if (await isSeeded(admin)) {
    // The postal-code import is an upsert: refreshing it keeps an older local state in step with the CSV.
    const imported = await importPostalCodes(admin, ROOT, log);
    log(`seed: demo marketplace already present, not seeding again (${imported ?? "no"} postal codes refreshed)`);
  } else {
    const started = Date.now();
    log("seed: creating the demo marketplace (INR)...");
    const s = await seedDemoMarketplace(admin, ROOT, log);
    log(
      `seed: ${s.vendors} vendors, ${s.warehouses} warehouses, ${s.products} products, ${s.skus} SKUs, ` +
        `${s.stockLevels} stock levels, ${s.postalCodes ?? "no"} postal codes in ${((Date.now() - started) / 1000).toFixed(1)}s`,
    );
    try {
      const n = await seedDeliveredOrders(admin, await demoVendorIds(admin, 2), 3);
      log(`seed: ${n} delivered demo orders, so earnings have figures`);
      // The first payout run, its clock moved past the payout hold (the development job run takes
      // \`now\`), so the demo shows money reaching vendors' simulated accounts and a statement.
      const now = new Date(Date.now() + 30 * 86_400_000).toISOString();
      const run = await admin.request<{ result: { status: string; transfers?: number; held?: number } }>(
        "POST",
        "/v1/admin/jobs/payouts/run",
        { body: { now } },
      );
      log(
        `seed: first payout run ${run.result.status}: ${run.result.transfers ?? 0} sub-orders paid, ${run.result.held ?? 0} held back`,
      );
    } catch (err) {
      log(`seed: no demo orders (${err instanceof Error ? err.message : String(err)})`);
    }
  }
  const tokens = await createDemoTokens(admin);
  for (const t of tokens) log(`demo token ${t.role}${t.vendorId ? ` vendor=${t.vendorId}` : ""}: ${t.token}`);
  const invite = await createDemoInvite(admin);
  log(`demo vendor invite (${invite.email}, works once until ${invite.expiresAt}): ${invite.link}`);
  writeJson("demo.json", { baseUrl, tokens, invite });
  log(`OMS running at ${baseUrl}  (dashboards: /ops /vendor, storefront: /, API docs: /docs)`);
  return tokens;
}

async function createDemoTokens(admin: Api): Promise<DemoToken[]> {
  const token = (body: Record<string, string>) =>
    admin.request<{ id: string; token: string }>("POST", "/v1/tokens", { body }).then((r) => r.token);
  const out: DemoToken[] = [];
  out.push({ role: "admin", token: await token({ role: "admin" }) });
  out.push({ role: "ops", token: await token({ role: "ops" }) });
  const customer = await admin.request<{ customerId: string; token: string }>("POST", "/v1/customers", {
    token: "",
    body: { name: "Asha Verma", email: "asha.verma@example.in", phone: "+91 98765 43210" },
  });
  out.push({ role: "customer", token: customer.token, customerId: customer.customerId });
  for (const vendorId of await demoVendorIds(admin, 2)) {
    out.push({ role: "vendor", token: await token({ role: "vendor", vendorId }), vendorId });
  }
  return out;
}

/** A fresh invite each run, to a new address: opening it walks a new vendor through onboarding. */
async function createDemoInvite(admin: Api) {
  return admin.request<{ id: string; email: string; link: string; expiresAt: string }>(
    "POST",
    "/v1/onboarding/invites",
    {
      body: { email: `new-vendor-${Date.now()}@example.in`, businessName: "Demo Spice Traders" },
    },
  );
}

type Job = { name: string; schedule?: string };

function jobsOf(body: unknown): Job[] {
  const list = Array.isArray(body)
    ? body
    : ((body as { items?: unknown[]; jobs?: unknown[] } | null)?.items ?? (body as { jobs?: unknown[] })?.jobs);
  if (!Array.isArray(list))
    throw new Error(`unexpected GET /v1/admin/jobs body: ${JSON.stringify(body).slice(0, 200)}`);
  return list.map((j) => (typeof j === "string" ? { name: j } : (j as Job)));
}

/**
 * Every minute, on the minute, runs each job whose schedule matches through
 * `POST /v1/admin/jobs/{name}/run`. Failures are logged (a repeat of the same failure once), never thrown.
 * While `paused()` says so a minute is skipped whole (the benchmark pauses it to read the server's CPU time).
 */
export function driveCron(baseUrl: string, adminToken: string, paused: () => boolean = () => false): () => void {
  const admin = api(baseUrl, adminToken);
  const lastProblem = new Map<string, string>();
  const running = new Set<string>();
  const ranOnce = new Set<string>();
  const parsed = new Map<string, CronSchedule | Error>();
  let known = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  const report = (key: string, message: string | null) => {
    const before = lastProblem.get(key);
    if (message === null) {
      if (before !== undefined) log(`cron: ${key} ok again`);
      lastProblem.delete(key);
    } else if (before !== message) {
      log(`cron: ${key} failed: ${message}`);
      lastProblem.set(key, message);
    }
  };
  const text = (err: unknown) => (err instanceof ApiProblem ? err.message : String(err));

  const schedule = (cron: string): CronSchedule | Error => {
    let s = parsed.get(cron);
    if (!s) {
      try {
        s = parseCron(cron);
      } catch (err) {
        s = err instanceof Error ? err : new Error(String(err));
      }
      parsed.set(cron, s);
    }
    return s;
  };

  const runJob = async (job: Job) => {
    if (running.has(job.name)) {
      report(`job ${job.name}`, "previous run still in progress, skipped this minute");
      return;
    }
    running.add(job.name);
    try {
      const started = Date.now();
      const res = await admin.request<{ result?: unknown }>(
        "POST",
        `/v1/admin/jobs/${encodeURIComponent(job.name)}/run`,
        { body: {}, timeoutMs: 10 * 60_000 },
      );
      report(`job ${job.name}`, null);
      // One line per job the first time it runs, so the console shows the driver works without chatter.
      if (!ranOnce.has(job.name)) {
        ranOnce.add(job.name);
        const result = JSON.stringify(res?.result ?? null);
        log(
          `cron: ${job.name} ran in ${Date.now() - started} ms: ${result.length > 160 ? `${result.slice(0, 160)}...` : result}`,
        );
      }
    } catch (err) {
      report(`job ${job.name}`, text(err));
    } finally {
      running.delete(job.name);
    }
  };

  const tick = async (minute: Date) => {
    arm();
    if (paused()) return;
    let jobs: Job[];
    try {
      jobs = jobsOf(await admin.request("GET", "/v1/admin/jobs"));
      report("GET /v1/admin/jobs", null);
    } catch (err) {
      report("GET /v1/admin/jobs", text(err));
      return;
    }
    const listing = jobs.map((j) => `${j.name} (${j.schedule ?? "no schedule"})`).join(", ");
    if (listing !== known) {
      known = listing;
      log(`cron: driving ${jobs.length} job(s) every minute in UTC: ${listing || "none"}`);
    }
    const due: Job[] = [];
    for (const job of jobs) {
      if (!job.schedule) {
        report(`job ${job.name}`, "no schedule in GET /v1/admin/jobs, not driven");
        continue;
      }
      const s = schedule(job.schedule);
      if (s instanceof Error) report(`job ${job.name}`, s.message);
      else if (cronMatches(s, minute)) due.push(job);
    }
    await Promise.all(due.map(runJob));
  };

  // Aligned to the minute like Cron Triggers; a little late rather than early, so the minute is right.
  const arm = () => {
    if (stopped) return;
    const now = Date.now();
    const next = Math.floor(now / 60_000) * 60_000 + 60_000;
    timer = setTimeout(() => void tick(new Date(next)), next - now + 50);
  };
  arm();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
