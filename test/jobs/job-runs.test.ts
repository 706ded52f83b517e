import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  env,
  getQueueResult,
  waitOnExecutionContext,
} from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/dev/index";
import { jobs } from "../../src/jobs/registry";
import { newCustomer } from "../support/api";
import { meteredEnv, type Spend } from "../support/invocation-budget";
import { BENGALURU, checkout, stockedSku } from "../support/marketplace";

const schedules = [...new Set(jobs.map((j) => j.schedule))];
const namesOn = (cron: string) =>
  jobs
    .filter((j) => j.schedule === cron)
    .map((j) => j.name)
    .sort();

/** Each delivery the runtime made to the job-runs queue's consumer, once it finished. */
let deliveries: { bodies: { job: string; at: string }[] }[] = [];
/** Each job run, by whichever path ran it. */
let ran: { job: string; now: string }[] = [];

beforeEach(() => {
  deliveries = [];
  ran = [];
  const queue = worker.queue;
  vi.spyOn(worker, "queue").mockImplementation(async (batch, e) => {
    await queue.call(worker, batch, e);
    if (batch.queue === "job-runs")
      deliveries.push({ bodies: batch.messages.map((m) => m.body as { job: string; at: string }) });
  });
  for (const job of jobs) {
    const run = job.run;
    vi.spyOn(job, "run").mockImplementation((e, now) => {
      ran.push({ job: job.name, now: now.toISOString() });
      return run(e, now);
    });
  }
});

afterEach(() => {
  vi.restoreAllMocks();
});

async function scheduled(cron: string, at: Date, bindings: Env = env) {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ cron, scheduledTime: at }), bindings, ctx);
  await waitOnExecutionContext(ctx);
}

async function until(done: () => boolean | Promise<boolean>) {
  for (let i = 0; i < 200 && !(await done()); i++) await new Promise((r) => setTimeout(r, 50));
  expect(await done()).toBe(true);
}

async function unpaidOrder(): Promise<string> {
  const s = await stockedSku({ warehouses: [{ at: BENGALURU, onHand: 2 }] });
  const r = await checkout((await newCustomer()).token, [{ skuId: s.skuId, qty: 1 }]);
  expect(r.status).toBe(201);
  return r.body.order.id;
}

const statusOf = async (orderId: string) =>
  (await env.DB.prepare("select status from orders where id = ?").bind(orderId).first<{ status: string }>())?.status;

describe("cron minutes run each job in an invocation of its own", () => {
  it("hands each job of the minute to a delivery of its own, which runs that job at the cron's time", async () => {
    const orderId = await unpaidOrder();
    const at = new Date(Date.now() + 16 * 60_000);
    const minute = namesOn("* * * * *");
    expect(minute.length).toBeGreaterThan(1);
    await scheduled("* * * * *", at);
    await until(() => deliveries.length === minute.length);
    expect(deliveries.map((d) => d.bodies.length)).toEqual(minute.map(() => 1));
    expect(deliveries.map((d) => d.bodies[0]!.job).sort()).toEqual(minute);
    expect(deliveries.every((d) => d.bodies[0]!.at === at.toISOString())).toBe(true);
    expect(ran.map((r) => r.job).sort()).toEqual(minute);
    expect(ran.every((r) => r.now === at.toISOString())).toBe(true);
    // expire-holds, run from its delivery at the cron's time, cancelled the order past its hold.
    expect(await statusOf(orderId)).toBe("cancelled");
  });

  it("acks a run of a job it does not know, or a body it cannot read, and runs nothing", async () => {
    const at = new Date().toISOString();
    const batch = createMessageBatch("job-runs", [
      { id: "run-unknown", timestamp: new Date(), attempts: 1, body: { type: "job.run", job: "no-such-job", at } },
      { id: "run-garbled", timestamp: new Date(), attempts: 1, body: { type: "job.run", job: "expire-holds" } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks.sort()).toEqual(["run-garbled", "run-unknown"]);
    expect(result.retryMessages).toEqual([]);
    expect(ran).toEqual([]);
  });

  it("runs the minute's jobs in the cron invocation when the queue refuses the send", async () => {
    const orderId = await unpaidOrder();
    const at = new Date(Date.now() + 16 * 60_000);
    const refusing = {
      ...env,
      JOB_RUNS: { sendBatch: () => Promise.reject(new Error("Queue unavailable")) },
    } as unknown as Env;
    await scheduled("* * * * *", at, refusing);
    expect(ran.map((r) => r.job).sort()).toEqual(namesOn("* * * * *"));
    expect(await statusOf(orderId)).toBe("cancelled");
    expect(deliveries).toEqual([]);
  });

  it.each(schedules)("a %s cron invocation spends nothing on the jobs but one send", async (cron) => {
    // Each job is held to a fifth of an invocation's limits alone (test/http/invocation-budget.test.ts);
    // the cron's own invocation must not add them up.
    const spend: Spend = { queries: 0, subrequests: 0, by: {} };
    const sent: unknown[][] = [];
    const bindings = {
      ...meteredEnv(spend),
      JOB_RUNS: {
        sendBatch: (messages: MessageSendRequest[]) => {
          sent.push(messages.map((m) => m.body));
          return env.JOB_RUNS.sendBatch(messages);
        },
      },
    } as unknown as Env;
    await scheduled(cron, new Date(), bindings);
    expect({ queries: spend.queries, subrequests: spend.subrequests }).toEqual({ queries: 0, subrequests: 0 });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.map((b) => (b as { job: string }).job).sort()).toEqual(namesOn(cron));
    await until(() => deliveries.length === namesOn(cron).length);
    expect(deliveries.every((d) => d.bodies.length === 1)).toBe(true);
  });
});
