import { z } from "@hono/zod-openapi";
import { VendorParams } from "../../contracts/catalog";
import { json, ListQuery, page, problemResponses } from "../../contracts/common";
import {
  PayoutBanner,
  PayoutRunDetail,
  PayoutRunParams,
  PayoutRunView,
  VendorPayout,
  VendorPayoutParams,
} from "../../contracts/payouts";
import { database } from "../../db/client";
import {
  findRun,
  heldByVendor,
  latestClosedRun,
  listRuns,
  type PayoutRun,
  runTransfers,
  vendorPayoutsPage,
} from "../../db/payouts";
import { findVendor } from "../../db/vendors";
import { isoSeconds } from "../../domain/time";
import { MAX_STATEMENT_ROWS, payoutStatementPdf } from "../../exports/payout-statement";
import { reconciliationCsv, statementCsv } from "../../payouts/statements";
import { router } from "../context";
import { defineRoute } from "../route";
import { actsFor, notFound, pageStart, principalOf } from "../scope";

const csv = { "text/csv": { schema: z.string() } };

const runs = defineRoute({
  method: "get",
  path: "/payouts/runs",
  access: ["admin", "ops"],
  summary: "Payout runs, newest first",
  description: "Each run's status, reconciled period, totals, and why a halted run paid no sub-order due.",
  request: { query: ListQuery },
  responses: { 200: json(page(PayoutRunView), "A page of payout runs"), ...problemResponses },
});

const latest = defineRoute({
  method: "get",
  path: "/payouts/latest",
  access: ["admin", "ops"],
  summary: "The latest finished payout run, for the dashboard's banner",
  responses: { 200: json(PayoutBanner, "The latest run, or null before the first"), ...problemResponses },
});

const run = defineRoute({
  method: "get",
  path: "/payouts/runs/{runId}",
  access: ["admin", "ops"],
  summary: "A payout run, with what it held back per vendor and why",
  request: { params: PayoutRunParams },
  responses: { 200: json(PayoutRunDetail, "The run"), ...problemResponses },
});

const reconciliation = defineRoute({
  method: "get",
  path: "/payouts/runs/{runId}/reconciliation.csv",
  access: ["admin", "ops"],
  summary: "A run's reconciliation as CSV: verdict, figures, problems and every transfer",
  request: { params: PayoutRunParams },
  responses: { 200: { description: "The reconciliation", content: csv }, ...problemResponses },
});

const vendorPayouts = defineRoute({
  method: "get",
  path: "/vendors/{vendorId}/payouts",
  access: ["admin", "ops", "vendor"],
  summary: "A vendor's payouts, newest first",
  description: "A vendor reads only its own; another vendor's id is 404.",
  request: { params: VendorParams, query: ListQuery },
  responses: { 200: json(page(VendorPayout), "A page of payouts"), ...problemResponses },
});

const statement = defineRoute({
  method: "get",
  path: "/vendors/{vendorId}/payouts/{runId}/statement.csv",
  access: ["admin", "ops", "vendor"],
  summary: "A vendor's statement of one payout as CSV, a row per sub-order",
  description: "A vendor reads only its own; another vendor's, or a run that paid it nothing, is 404.",
  request: { params: VendorPayoutParams },
  responses: { 200: { description: "The statement", content: csv }, ...problemResponses },
});

const statementPdf = defineRoute({
  method: "get",
  path: "/vendors/{vendorId}/payouts/{runId}/statement.pdf",
  access: ["admin", "ops", "vendor"],
  summary: "A vendor's statement of one payout as PDF: the CSV's rows with their totals",
  description: `The vendor's name, the run and its period, a row per sub-order (earned after commission, earlier refunds netted off, net transferred, taken back since), totals, and as of when; the table runs onto further pages as needed, up to ${MAX_STATEMENT_ROWS} sub-orders (the totals count every one, and a closing line says how many the statement CSV has besides). A vendor reads only its own; another vendor's, or a run that paid it nothing, is 404.`,
  request: { params: VendorPayoutParams },
  responses: {
    200: {
      description: "The statement",
      content: { "application/pdf": { schema: z.string().openapi({ format: "binary" }) } },
    },
    ...problemResponses,
  },
});

const view = ({ leaseUntil: _l, ...r }: PayoutRun) => ({ ...r, problems: r.problems ?? [] });

const attachment = (name: string, type = "text/csv; charset=utf-8") => ({
  "Content-Type": type,
  "Content-Disposition": `attachment; filename="${name}"`,
});

export const payouts = router()
  .openapi(runs, async (c) => {
    const q = c.req.valid("query");
    const found = await listRuns(database(c.env), { limit: q.limit, after: pageStart(q.cursor) });
    return c.json({ items: found.items.map(view), nextCursor: found.nextCursor }, 200);
  })
  .openapi(latest, async (c) => {
    const r = await latestClosedRun(database(c.env));
    return c.json({ latest: r ? view(r) : null }, 200);
  })
  .openapi(run, async (c) => {
    const { runId } = c.req.valid("param");
    const db = database(c.env);
    const r = await findRun(db, runId);
    if (!r) throw notFound("payout run", runId);
    const held = await heldByVendor(db, runId);
    const heldBack = held.map((h) => ({ ...h, subOrders: Number(h.subOrders), payableMinor: Number(h.payableMinor) }));
    return c.json({ ...view(r), heldBack }, 200);
  })
  .openapi(reconciliation, async (c) => {
    const { runId } = c.req.valid("param");
    const db = database(c.env);
    const r = await findRun(db, runId);
    if (!r) throw notFound("payout run", runId);
    const body = reconciliationCsv(r, await runTransfers(db, runId));
    return c.body(body, 200, attachment(`reconciliation-${runId}.csv`));
  })
  .openapi(vendorPayouts, async (c) => {
    const { vendorId } = c.req.valid("param");
    const q = c.req.valid("query");
    if (!actsFor(principalOf(c), vendorId)) throw notFound("vendor", vendorId);
    return c.json(
      await vendorPayoutsPage(database(c.env), vendorId, { limit: q.limit, after: pageStart(q.cursor) }),
      200,
    );
  })
  .openapi(statement, async (c) => {
    const { vendorId, runId } = c.req.valid("param");
    if (!actsFor(principalOf(c), vendorId)) throw notFound("payout", runId);
    const transfers = (await runTransfers(database(c.env), runId, vendorId)).filter((t) => t.status === "paid");
    if (transfers.length === 0) throw notFound("payout", runId);
    return c.body(statementCsv(transfers), 200, attachment(`payout-${vendorId}-${runId}.csv`));
  })
  .openapi(statementPdf, async (c) => {
    const { vendorId, runId } = c.req.valid("param");
    if (!actsFor(principalOf(c), vendorId)) throw notFound("payout", runId);
    const db = database(c.env);
    const [all, r, vendor] = await Promise.all([
      runTransfers(db, runId, vendorId),
      findRun(db, runId),
      findVendor(db, vendorId),
    ]);
    const transfers = all.filter((t) => t.status === "paid");
    if (transfers.length === 0 || !r || !vendor) throw notFound("payout", runId);
    const pdf = await payoutStatementPdf({ run: r, vendor, transfers, asOf: isoSeconds(new Date()) });
    return new Response(pdf, {
      status: 200,
      headers: attachment(`payout-${vendorId}-${runId}.pdf`, "application/pdf"),
    });
  });
