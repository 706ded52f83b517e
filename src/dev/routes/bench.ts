import { z } from "@hono/zod-openapi";
import { Id, IsoTime, json, jsonBody, problemResponses } from "../../contracts/common";
import { uniqueViolation } from "../../db/constraints";
import { claimStock } from "../../gateways/stock";
import { router } from "../../http/context";
import { ApiError } from "../../http/errors";
import { defineRoute } from "../../http/route";
import { takeD1Calls } from "../d1-calls";
import { payoutBenchStats, seedDeliveredSubOrders } from "../payout-bench";
import { seedOpenSubOrders, slaAudit, slaQueryPlans } from "../sla-watcher-bench";

const HOLD_SECONDS = 60;

const claim = defineRoute({
  method: "post",
  path: "/bench/claim/{skuId}",
  access: ["admin"],
  summary: "Benchmark only: one bare stock claim (development)",
  description:
    "Makes one stock claim as a checkout makes it (shared with the claims on the same SKU waiting in this isolate), and nothing else: the ceiling checkout throughput is measured against.",
  request: {
    params: z.object({ skuId: Id }),
    ...jsonBody(z.object({ warehouses: z.array(Id).min(1).max(20) }).strict()),
  },
  responses: { 201: json(z.object({ ok: z.literal(true) }), "Claimed"), ...problemResponses },
});

const Tag = z.string().regex(/^[a-z0-9]{1,24}$/, "1 to 24 lower-case letters and digits");

const seedSla = defineRoute({
  method: "post",
  path: "/bench/sla",
  access: ["admin"],
  summary: "Benchmark only: write many open sub-orders for the SLA watcher (development)",
  description:
    "Paid parents and open sub-orders written straight into D1 under ids tagged `tag`: one in `nudgeEvery` inside a 6 h nudge lead of `at`, the rest 8 to 72 hours after it.",
  request: jsonBody(
    z
      .object({
        tag: Tag,
        count: z.number().int().min(1).max(200_000),
        nudgeEvery: z.number().int().min(1).max(1_000_000),
        at: IsoTime,
        customerId: Id,
        vendorId: Id,
      })
      .strict(),
  ),
  responses: {
    201: json(z.object({ seeded: z.number(), inNudgeLead: z.number(), notYetDue: z.number() }), "Written"),
    ...problemResponses,
  },
});

const auditSla = defineRoute({
  method: "get",
  path: "/bench/sla/{tag}",
  access: ["admin"],
  summary: "Benchmark only: what the SLA watcher did to tagged sub-orders, and its query plans",
  description:
    "`nudgedTwice`, `cancelledTwice`, `refundedTwice` and `creditedTwice` count sub-orders (all of them) that had it happen more than once.",
  request: { params: z.object({ tag: Tag }), query: z.object({ at: IsoTime }) },
  responses: {
    200: json(
      z.object({
        audit: z.record(z.string(), z.number()),
        plans: z.object({ breached: z.array(z.string()), toNudge: z.array(z.string()) }),
      }),
      "Counts and plans",
    ),
    ...problemResponses,
  },
});

const d1Calls = defineRoute({
  method: "post",
  path: "/bench/d1-calls",
  access: ["admin"],
  summary: "Benchmark only: D1 round trips made in this isolate since the last call (development)",
  description:
    "The first call starts counting; each call answers the counts since the previous one and resets them. A batch is one round trip. `bySql` adds up, per statement, its runs and the SQL time and rows read that D1 reported for them (`reported` runs: D1 reports on batches, `all` and `run`, not on `first` or `raw`).",
  responses: {
    200: json(
      z.object({
        roundTrips: z.number(),
        batches: z.number(),
        statements: z.number(),
        bySql: z.array(
          z.object({
            sql: z.string(),
            runs: z.number(),
            reported: z.number(),
            sqlMs: z.number(),
            rowsRead: z.number(),
          }),
        ),
      }),
      "Counts",
    ),
    ...problemResponses,
  },
});

const seedPayouts = defineRoute({
  method: "post",
  path: "/bench/payouts",
  access: ["admin"],
  summary: "Benchmark only: write many delivered, captured sub-orders past their hold (development)",
  description:
    "`count` sub-orders over `vendors` new vendors with ready simulated payout accounts, each with its parent, a simulated charge and its capture journal, tagged `tag`.",
  request: jsonBody(
    z
      .object({
        tag: Tag,
        count: z.number().int().min(1).max(100_000),
        vendors: z.number().int().min(1).max(100),
      })
      .strict(),
  ),
  responses: { 201: json(z.object({ seeded: z.number(), vendors: z.number() }), "Written"), ...problemResponses },
});

const PayoutStats = z.object({
  ledgerEntries: z.number(),
  ledgerJournals: z.number(),
  transfersPaid: z.number(),
  transfersPending: z.number(),
});

const payoutStats = defineRoute({
  method: "get",
  path: "/bench/payouts/stats",
  access: ["admin"],
  summary: "Benchmark only: ledger rows and transfers so far (development)",
  responses: { 200: json(PayoutStats, "Counts"), ...problemResponses },
});

export const bench = router()
  .openapi(d1Calls, (c) => c.json(takeD1Calls(c.env.DB), 200))
  .openapi(seedPayouts, async (c) => {
    const body = c.req.valid("json");
    const seeded = await seedDeliveredSubOrders(c.env, body).catch((err: unknown) => {
      if (uniqueViolation(err)) throw new ApiError("CONFLICT", "This tag was seeded before; pick another");
      throw err;
    });
    return c.json(seeded, 201);
  })
  .openapi(payoutStats, async (c) => c.json(await payoutBenchStats(c.env), 200))
  .openapi(seedSla, async (c) => {
    const body = c.req.valid("json");
    const result = await seedOpenSubOrders(c.env, { ...body, at: new Date(body.at) });
    if (!result.ok && result.code === "UNKNOWN_PARTY") throw new ApiError("NOT_FOUND", "No such customer or vendor");
    if (!result.ok) throw new ApiError("CONFLICT", "This tag was seeded before; pick another");
    const { ok: _ok, ...counts } = result;
    return c.json(counts, 201);
  })
  .openapi(auditSla, async (c) => {
    const at = new Date(c.req.valid("query").at);
    return c.json(
      { audit: await slaAudit(c.env, c.req.valid("param").tag), plans: await slaQueryPlans(c.env, at, 6) },
      200,
    );
  })
  .openapi(claim, async (c) => {
    const { skuId } = c.req.valid("param");
    const result = await claimStock(
      c.env,
      {
        skuId,
        holdId: `bench_${crypto.randomUUID()}`,
        qty: 1,
        warehouses: c.req.valid("json").warehouses,
        expiresAt: Date.now() + HOLD_SECONDS * 1000,
      },
      c.executionCtx,
    );
    if (!result.ok) throw new ApiError("OUT_OF_STOCK", result.code);
    return c.json({ ok: true as const }, 201);
  });
