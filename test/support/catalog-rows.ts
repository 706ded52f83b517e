import { env } from "cloudflare:test";
import { uid } from "./api";

const AT = "2026-01-01T00:00:00Z";

/**
 * A vendor, a product, one SKU and its warehouses written straight into D1, for tests that drive a
 * stock object directly: its mirror into D1 then lands on real rows instead of failing quietly.
 */
export async function insertCatalog(vendorId: string, skuId: string, warehouseIds: readonly string[]) {
  const productId = uid("prd");
  await env.DB.batch([
    env.DB.prepare(
      "INSERT INTO vendors (id, name, commission_bps, hourly_capacity, created_at) VALUES (?, 'V', 1000, 100, ?)",
    ).bind(vendorId, AT),
    env.DB.prepare("INSERT INTO products (id, title, created_at) VALUES (?, 'P', ?)").bind(productId, AT),
    env.DB.prepare(
      `INSERT INTO skus (id, vendor_id, product_id, code, title, price_minor, currency, barcode, created_at, updated_at)
       VALUES (?, ?, ?, ?, 'S', 1000, 'INR', ?, ?, ?)`,
    ).bind(skuId, vendorId, productId, skuId, skuId, AT, AT),
    ...warehouseIds.map((wh) =>
      env.DB.prepare(
        `INSERT INTO warehouses (id, vendor_id, name, lat, lng, postal_code, country, created_at)
         VALUES (?, ?, 'W', 12.9, 77.6, '560001', 'IN', ?)`,
      ).bind(wh, vendorId, AT),
    ),
  ]);
}
