import { CatalogItem, CatalogQuery } from "../../contracts/catalog";
import { json, page, problemResponses } from "../../contracts/common";
import { listCatalog } from "../../db/catalog";
import { database } from "../../db/client";
import { router } from "../context";
import { defineRoute } from "../route";
import { pageStart } from "../scope";

const list = defineRoute({
  method: "get",
  path: "/catalog/skus",
  access: "public",
  summary: "Browse the catalog: active SKUs of active vendors, with units available",
  description:
    "`search` matches anywhere in the SKU's or its product's title (case-insensitive), or the barcode or vendor " +
    "code exactly. `available` comes from the stock mirror over active warehouses and may trail the stock objects " +
    "by a moment; checkout asks the objects themselves.",
  request: { query: CatalogQuery },
  responses: { 200: json(page(CatalogItem), "A page of the catalog"), ...problemResponses },
});

export const catalog = router().openapi(list, async (c) => {
  const q = c.req.valid("query");
  const result = await listCatalog(database(c.env), {
    limit: q.limit,
    after: pageStart(q.cursor),
    search: q.search || undefined,
    vendorId: q.vendorId || undefined,
    productId: q.productId || undefined,
  });
  return c.json(result, 200);
});
