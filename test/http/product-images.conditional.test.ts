import { describe, expect, it } from "vitest";
import { api } from "../support/api";
import { newProduct, newSku, newVendorWithToken } from "../support/catalog";
import { jpegOf } from "../support/images";

/** A new product's photo, as its seller uploads it: its thumb's URL and ETag. */
async function newPhoto() {
  const v = await newVendorWithToken();
  const product = await newProduct();
  await newSku(v.vendorId, product.id);
  const r = await api("POST", `/v1/products/${product.id}/images`, {
    token: v.token,
    rawBody: await jpegOf(320, 240),
    headers: { "content-type": "image/jpeg" },
  });
  expect(r.status).toBe(201);
  const url = r.body.urls.thumb as string;
  const etag = (await api("GET", url)).headers.get("etag")!;
  expect(etag).toMatch(/^"[^"]+"$/);
  return { url, etag };
}

const get = (url: string, headers: Record<string, string>) => api("GET", url, { headers });

describe("a product photo asked for conditionally", () => {
  it("ignores a malformed If-None-Match and serves the photo (200), never a 500", async () => {
    const { url, etag } = await newPhoto();
    for (const value of ["abc", '"a" "b"', `${etag.slice(1)}`, '"unterminated', `W/${etag.slice(1, -1)}`]) {
      const r = await get(url, { "if-none-match": value });
      expect([value, r.status, r.headers.get("content-type")]).toEqual([value, 200, "image/webp"]);
    }
    // A malformed one beside a well-formed If-Match: that one still counts.
    expect((await get(url, { "if-none-match": "abc", "if-match": etag })).status).toBe(200);
  });

  it("ignores malformed date conditions too, never a 500", async () => {
    const { url } = await newPhoto();
    for (const header of ["if-modified-since", "if-unmodified-since"]) {
      expect((await get(url, { [header]: "yesterday" })).status).toBe(200);
    }
  });

  it("answers a matching If-None-Match (a list, weak or *) with 304", async () => {
    const { url, etag } = await newPhoto();
    for (const value of [etag, `"other", ${etag}`, `W/${etag}`, "*"]) {
      const r = await get(url, { "if-none-match": value });
      expect([value, r.status, r.headers.get("etag")]).toEqual([value, 304, etag]);
    }
    expect((await get(url, { "if-none-match": '"other"' })).status).toBe(200);
  });

  it("answers a failed If-Match with 412, not 304, and a matching one with the photo", async () => {
    const { url, etag } = await newPhoto();
    const failed = await get(url, { "if-match": '"other"' });
    expect([failed.status, failed.body.code]).toEqual([412, "PRECONDITION_FAILED"]);
    expect(failed.headers.get("content-type")).toBe("application/problem+json");
    expect((await get(url, { "if-match": etag })).status).toBe(200);
    expect((await get(url, { "if-match": `"other", ${etag}` })).status).toBe(200);
    expect((await get(url, { "if-match": "*" })).status).toBe(200);
    // If-Match compares strongly: a weak tag never holds.
    expect((await get(url, { "if-match": `W/${etag}` })).status).toBe(412);
    // If-Match is evaluated before If-None-Match: when it holds, a matching If-None-Match is 304.
    expect((await get(url, { "if-match": etag, "if-none-match": etag })).status).toBe(304);
    expect((await get(url, { "if-match": '"other"', "if-none-match": etag })).status).toBe(412);
  });
});
