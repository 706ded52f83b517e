import { z } from "@hono/zod-openapi";
import { json, problemResponses } from "../../contracts/common";
import {
  MAX_IMPORT_BYTES,
  ProductImport,
  ProductImportCsv,
  ProductImportParams,
} from "../../contracts/product-imports";
import { database } from "../../db/client";
import { findImport, latestImports } from "../../db/product-imports";
import { importView, uploadProducts } from "../../product-import/upload";
import { requireRole } from "../auth";
import { router } from "../context";
import { ApiError, validationError } from "../errors";
import { defineRoute } from "../route";
import { actsFor, notFound, principalOf } from "../scope";

const upload = defineRoute({
  method: "post",
  path: "/product-imports",
  access: ["vendor"],
  summary: "Import the vendor's products, SKUs, prices, GTINs and opening stock from a CSV",
  description:
    "Every row is validated before anything is applied; the refused rows are listed by line, field and why, and " +
    "the valid rows are applied in the background, a page at a time (poll the import for progress). A GTIN that " +
    "matches another seller's product becomes an offer on it; an existing SKU code of the vendor is updated. Stock " +
    "columns set a level only where the (SKU, warehouse) level does not exist yet. The same file as the vendor's " +
    "latest import (same SHA-256) answers 200 with that import and changes nothing; after another import it is " +
    `a new import. At most ${MAX_IMPORT_BYTES / 1024 / 1024} MB (413), in UTF-8 (422 otherwise: Excel's "CSV UTF-8").`,
  request: { body: { required: true, content: { "text/csv": { schema: ProductImportCsv } } } },
  responses: {
    200: json(ProductImport, "The same content as the latest import: that import, unchanged"),
    202: json(ProductImport, "Validated; the valid rows are being applied"),
    ...problemResponses,
  },
});

const read = defineRoute({
  method: "get",
  path: "/product-imports/{importId}",
  access: ["admin", "ops", "vendor"],
  summary: "An import's progress, counts and refused rows",
  description: "A vendor sees only its own imports; another vendor's is 404.",
  request: { params: ProductImportParams },
  responses: { 200: json(ProductImport, "The import"), ...problemResponses },
});

const list = defineRoute({
  method: "get",
  path: "/product-imports",
  access: ["vendor"],
  summary: "The vendor's latest imports, newest first",
  responses: { 200: json(z.object({ items: z.array(ProductImport) }), "Up to 10 imports"), ...problemResponses },
});

export const productImports = router()
  .openapi(upload, async (c) => {
    const who = requireRole(c, "vendor");
    if (!/^text\/csv\s*(;|$)/i.test(c.req.header("content-type") ?? "")) {
      throw new ApiError("UNSUPPORTED_MEDIA_TYPE", "Send the products as text/csv");
    }
    const bytes = await c.req.arrayBuffer();
    if (bytes.byteLength > MAX_IMPORT_BYTES) throw new ApiError("PAYLOAD_TOO_LARGE");
    const csv = utf8(bytes);
    if (csv === undefined) {
      // Excel's plain "CSV" is Windows-1252: read as UTF-8, "Café" would go live as "Caf�".
      throw validationError([{ path: "body", message: 'The file is not UTF-8 text: save it as "CSV UTF-8"' }]);
    }
    const result = await uploadProducts(c.env, who.vendorId, csv, new Date());
    if (!result.ok) throw validationError([{ path: "body", message: result.message }]);
    return c.json(result.import, result.replayed ? 200 : 202);
  })
  .openapi(read, async (c) => {
    const { importId } = c.req.valid("param");
    const record = await findImport(database(c.env), importId);
    if (!record || !actsFor(principalOf(c), record.vendorId)) throw notFound("import", importId);
    return c.json(await importView(c.env, importId), 200);
  })
  .openapi(list, async (c) => {
    const who = requireRole(c, "vendor");
    const records = await latestImports(database(c.env), who.vendorId, 10);
    return c.json({ items: await Promise.all(records.map((r) => importView(c.env, r.id))) }, 200);
  });

/** The bytes as UTF-8 text (a leading byte-order mark dropped), or undefined if they are not UTF-8. */
function utf8(bytes: ArrayBuffer): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return undefined;
  }
}
