import { z } from "@hono/zod-openapi";
import { json, jsonBody, problemResponses } from "../../contracts/common";
import { Carrier, CarrierCode, CarrierUpdate } from "../../contracts/fulfillment";
import { database } from "../../db/client";
import { type CarrierRow, findCarrier, listCarriers, saveCarrier } from "../../db/sub-orders";
import { checkAwbFormat } from "../../domain/awb";
import { requireRole } from "../auth";
import { router } from "../context";
import { ApiError, validationError } from "../errors";
import { defineRoute } from "../route";

const list = defineRoute({
  method: "get",
  path: "/carriers",
  access: ["admin", "ops", "vendor", "customer"],
  summary: "Carriers a sub-order can be dispatched with, and their AWB formats",
  description: "Admins and ops also see inactive carriers.",
  responses: { 200: json(z.object({ items: z.array(Carrier) }), "The carriers"), ...problemResponses },
});

const put = defineRoute({
  method: "put",
  path: "/carriers/{code}",
  access: ["admin"],
  summary: "Edit a carrier's name, AWB pattern, example or active flag; or add a carrier",
  description:
    "The pattern must compile, match its own example and be cheap to match (no repeated group holding | or a varying " +
    "quantifier, at most 4 of |, *, +, ? and {m,n}; 422 otherwise). A new code needs name, awbPattern and awbExample and " +
    "answers 201. An edit racing another is 409 and changes nothing: the carrier changed (or was added) after it was read.",
  request: { params: z.object({ code: CarrierCode }), ...jsonBody(CarrierUpdate) },
  responses: {
    200: json(Carrier, "The carrier after the edit"),
    201: json(Carrier, "The carrier added"),
    ...problemResponses,
  },
});

const view = ({ code, name, awbPattern, awbExample, active }: CarrierRow) => ({
  code,
  name,
  awbPattern,
  awbExample,
  active,
});

export const carriers = router()
  .openapi(list, async (c) => {
    const who = requireRole(c, "admin", "ops", "vendor", "customer");
    const rows = await listCarriers(database(c.env), { includeInactive: who.role === "admin" || who.role === "ops" });
    return c.json({ items: rows.map(view) }, 200);
  })
  .openapi(put, async (c) => {
    requireRole(c, "admin");
    const { code } = c.req.valid("param");
    const patch = c.req.valid("json");
    const db = database(c.env);
    const current = await findCarrier(db, code);
    if (!current && (!patch.name || !patch.awbPattern || !patch.awbExample)) {
      throw validationError(
        (["name", "awbPattern", "awbExample"] as const)
          .filter((f) => !patch[f])
          .map((path) => ({ path, message: "a new carrier needs it" })),
        `No carrier ${code} yet: send name, awbPattern and awbExample to add it`,
      );
    }
    const next: CarrierRow = {
      code,
      name: patch.name ?? current!.name,
      awbPattern: patch.awbPattern ?? current!.awbPattern,
      awbExample: patch.awbExample ?? current!.awbExample,
      active: patch.active ?? current?.active ?? true,
    };
    const errors = checkAwbFormat(next, current?.awbPattern);
    if (errors.length > 0) throw validationError(errors, "The AWB format is not usable");
    const saved = await saveCarrier(db, next, current);
    if (!saved) {
      throw new ApiError(
        "CONFLICT",
        `Carrier ${code} was ${current ? "changed" : "added"} by another edit meanwhile: read it again and retry`,
      );
    }
    return current ? c.json(view(saved), 200) : c.json(view(saved), 201);
  });
