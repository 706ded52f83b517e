import { CreateProduct, Product, ProductParams, ProductQuery, UpdateProduct } from "../../contracts/catalog";
import { json, jsonBody, page, problemResponses } from "../../contracts/common";
import { database } from "../../db/client";
import { findProduct, insertProduct, listProducts, updateProduct } from "../../db/products";
import { newId } from "../../domain/ids";
import { isoSeconds } from "../../domain/time";
import { seesAsPublic } from "../auth";
import { router } from "../context";
import { defineRoute } from "../route";
import { notFound, pageStart } from "../scope";

const create = defineRoute({
  method: "post",
  path: "/products",
  access: ["admin", "ops", "vendor"],
  summary: "Create a catalog product",
  description: "Products are shared: any vendor may offer SKUs of any product.",
  request: jsonBody(CreateProduct),
  responses: { 201: json(Product, "Created"), ...problemResponses },
});

const list = defineRoute({
  method: "get",
  path: "/products",
  access: "public",
  summary: "List products by title",
  description:
    "`search` matches anywhere in the title, case-insensitively. Without a token (and to shoppers), only products some selling vendor has an active offer of; vendors, ops and admins see every product.",
  request: { query: ProductQuery },
  responses: { 200: json(page(Product), "A page of products"), ...problemResponses },
});

const read = defineRoute({
  method: "get",
  path: "/products/{productId}",
  access: "public",
  summary: "Read a product",
  request: { params: ProductParams },
  responses: { 200: json(Product, "The product"), ...problemResponses },
});

const update = defineRoute({
  method: "patch",
  path: "/products/{productId}",
  access: ["admin", "ops"],
  summary: "Correct a product's title or description",
  description:
    "A product is shared by every vendor that sells it, and its first seller wrote its card: ops and admins correct it. " +
    "An empty or null description clears it. The catalog reads products fresh, so the next read shows the change.",
  request: { params: ProductParams, ...jsonBody(UpdateProduct) },
  responses: { 200: json(Product, "The product after the change"), ...problemResponses },
});

export const products = router()
  .openapi(create, async (c) => {
    const body = c.req.valid("json");
    const product = await insertProduct(database(c.env), {
      id: newId("prd"),
      title: body.title,
      description: body.description || null,
      createdAt: isoSeconds(new Date()),
    });
    return c.json(product, 201);
  })
  .openapi(list, async (c) => {
    const q = c.req.valid("query");
    const result = await listProducts(database(c.env), {
      limit: q.limit,
      after: pageStart(q.cursor),
      search: q.search || undefined,
      soldOnly: seesAsPublic(c),
    });
    return c.json(result, 200);
  })
  .openapi(read, async (c) => {
    const { productId } = c.req.valid("param");
    const product = await findProduct(database(c.env), productId, { soldOnly: seesAsPublic(c) });
    if (!product) throw notFound("product", productId);
    return c.json(product, 200);
  })
  .openapi(update, async (c) => {
    const { productId } = c.req.valid("param");
    const product = await updateProduct(database(c.env), productId, c.req.valid("json"));
    if (!product) throw notFound("product", productId);
    return c.json(product, 200);
  });
