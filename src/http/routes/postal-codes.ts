import { PostalCodeCsv, PostalCodeEntry, PostalCodeImport, PostalCodeParams } from "../../contracts/catalog";
import { json, problemResponses } from "../../contracts/common";
import { database } from "../../db/client";
import { findPostalCode, upsertPostalCodes } from "../../db/postal-codes";
import { normalizeCountry, normalizePostalCode } from "../../domain/geo";
import { readPostalCodeCsv } from "../../domain/postal-codes";
import { router } from "../context";
import { ApiError, validationError } from "../errors";
import { defineRoute } from "../route";

const importCsv = defineRoute({
  method: "post",
  path: "/admin/postal-codes",
  access: ["admin"],
  summary: "Import postal codes from CSV (upsert)",
  description:
    "Body: text/csv with a header row naming country,code,lat,lng and optionally place. Valid rows are inserted or " +
    "replaced; invalid rows are skipped and reported by line in `rejected` (the answer is still 200). A bad header " +
    "or an empty file is 422 and imports nothing; another media type is 415. Bodies are capped like every request " +
    "(256 KiB); `node scripts/import-postal-codes.ts` splits larger files.",
  request: { body: { required: true, content: { "text/csv": { schema: PostalCodeCsv } } } },
  responses: { 200: json(PostalCodeImport, "What was imported and what was refused"), ...problemResponses },
});

const read = defineRoute({
  method: "get",
  path: "/postal-codes/{country}/{code}",
  access: "public",
  summary: "Look up a postal code's coordinates",
  request: { params: PostalCodeParams },
  responses: { 200: json(PostalCodeEntry, "The postal code"), ...problemResponses },
});

export const postalCodes = router()
  .openapi(importCsv, async (c) => {
    if (!/^text\/csv\s*(;|$)/i.test(c.req.header("content-type") ?? "")) {
      throw new ApiError("UNSUPPORTED_MEDIA_TYPE", "Send the postal codes as text/csv");
    }
    const csv = readPostalCodeCsv(await c.req.text());
    if (!csv.ok) throw validationError([{ path: "(body)", message: csv.message }], csv.message);
    const imported = await upsertPostalCodes(database(c.env), csv.rows);
    return c.json({ imported, rejected: csv.rejected }, 200);
  })
  .openapi(read, async (c) => {
    const params = c.req.valid("param");
    const country = normalizeCountry(params.country);
    const code = normalizePostalCode(params.code);
    const entry = await findPostalCode(database(c.env), country, code);
    if (!entry) throw new ApiError("NOT_FOUND", `No postal code ${country} ${code}`);
    return c.json(entry, 200);
  });
