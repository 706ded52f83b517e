import { CatalogItem, CatalogProduct, CatalogProductQuery, CatalogQuery } from "../../contracts/catalog";
import { json, page, problemResponses } from "../../contracts/common";
import { listCatalog, listCatalogProducts } from "../../db/catalog";
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

const products = defineRoute({
  method: "get",
  path: "/catalog/products",
  access: "public",
  summary: "Browse the catalog by product: one entry per product, its price range and how many sellers offer it",
  description:
    "The storefront's cards. `search` as for /v1/catalog/skus (a product matches by its own title or any " +
    "active offer's title, barcode or code); `minPrice`, `maxPrice`, `sellers` and `available` are over all " +
    "the product's active offers. Its offers: GET /v1/catalog/skus?productId=; a checkout line by `productId` " +
    "lets routing pick among them.",
  request: { query: CatalogProductQuery },
  responses: { 200: json(page(CatalogProduct), "A page of products"), ...problemResponses },
});

export const catalog = router()
  .openapi(products, async (c) => {
    const q = c.req.valid("query");
    const result = await listCatalogProducts(database(c.env), {
      limit: q.limit,
      after: pageStart(q.cursor),
      search: q.search || undefined,
    });
    return c.json(result, 200);
  })
  .openapi(list, async (c) => {
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
