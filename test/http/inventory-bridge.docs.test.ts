import { describe, expect, it } from "vitest";
import { api } from "../support/api";
import { bridgeSecret, sendBridge, stagedRowsOf } from "../support/bridge";
import { stockedSku } from "../support/marketplace";

const BLR = { lat: 12.97, lng: 77.59 };

/** A `$ref` of the document resolved within it. */
function resolve(doc: any, schema: any): any {
  if (!schema?.$ref) return schema;
  return (schema.$ref as string)
    .replace(/^#\//, "")
    .split("/")
    .reduce((at: any, key) => at?.[key], doc);
}

describe("inventory bridge in the API reference", () => {
  it("publishes the signed POST's body and its Bridge-Signature and Idempotency-Key headers", async () => {
    const doc = (await api("GET", "/v1/openapi.json")).body;
    const op = doc.paths["/vendors/{vendorId}/inventory-bridge"]?.post;
    expect(op).toBeDefined();

    const body = op.requestBody;
    expect(body?.required).toBe(true);
    const schema = resolve(doc, body?.content?.["application/json"]?.schema);
    expect(schema?.type).toBe("object");
    expect(schema.required).toEqual(["rows"]);
    expect(schema.properties.rows).toMatchObject({ type: "array", minItems: 1, maxItems: 1000 });
    const row = resolve(doc, schema.properties.rows.items);
    expect(Object.keys(row?.properties ?? {})).toEqual(
      expect.arrayContaining(["skuId", "skuCode", "warehouseId", "count", "countedAt", "delta", "reason"]),
    );

    const headers = Object.fromEntries(
      (op.parameters as any[]).filter((p) => p.in === "header").map((p) => [p.name.toLowerCase(), p]),
    );
    // Header names are case-insensitive: the handler reads `bridge-signature` and `idempotency-key`.
    expect(headers["bridge-signature"]).toMatchObject({ required: true });
    expect(headers["idempotency-key"]).toBeDefined();
    expect(headers["idempotency-key"].required).not.toBe(true);
  });

  it("still reads the raw bytes itself, signature first: a signed POST is staged (202), a forged one is 400", async () => {
    const s = await stockedSku({ warehouses: [{ at: BLR, onHand: 10 }] });
    const secret = await bridgeSecret(s.vendorId);
    // Whitespace and key order a parser would not keep: the signature holds only over the exact bytes.
    const raw = `{ "rows" : [ { "warehouseId": "${s.warehouseIds[0]}", "skuId": "${s.skuId}", "delta": -1, "reason": "damage" } ] }`;
    const ok = await sendBridge(s.vendorId, secret, raw);
    expect(ok.status, JSON.stringify(ok.body)).toBe(202);
    expect(ok.body.staged).toBe(1);

    const unsigned = await api("POST", `/v1/vendors/${s.vendorId}/inventory-bridge`, {
      rawBody: raw,
      headers: { "content-type": "application/json" },
    });
    expect(unsigned.status).toBe(400);
    expect(unsigned.body.code).toBe("BAD_SIGNATURE");
    // The signature is checked before the body is parsed: a forged body learns nothing of the schema.
    const forged = await sendBridge(s.vendorId, "not-the-secret", { rows: [] });
    expect(forged.status, JSON.stringify(forged.body)).toBe(400);
    expect(forged.body.code).toBe("BAD_SIGNATURE");
    expect(await stagedRowsOf(s.vendorId)).toBe(1);
  });
});
