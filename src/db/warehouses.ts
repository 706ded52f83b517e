import { and, eq } from "drizzle-orm";
import type { Warehouse } from "../contracts/catalog";
import type { Db } from "./client";
import { type After, afterKey, keyOrder, toPage } from "./paging";
import { warehouses } from "./schema";

export type WarehouseChanges = Partial<Pick<Warehouse, "name" | "lat" | "lng" | "postalCode" | "country" | "status">>;

export async function insertWarehouse(db: Db, warehouse: Warehouse): Promise<Warehouse> {
  return await db.insert(warehouses).values(warehouse).returning().get();
}

export async function findWarehouse(db: Db, id: string): Promise<Warehouse | null> {
  return (await db.select().from(warehouses).where(eq(warehouses.id, id)).get()) ?? null;
}

export async function listWarehouses(db: Db, vendorId: string, q: { limit: number; after: After | undefined }) {
  const rows = await db
    .select()
    .from(warehouses)
    .where(and(eq(warehouses.vendorId, vendorId), afterKey(warehouses.name, warehouses.id, q.after)))
    .orderBy(...keyOrder(warehouses.name, warehouses.id))
    .limit(q.limit + 1)
    .all();
  return toPage(
    rows,
    q.limit,
    (r) => ({ key: r.name, id: r.id }),
    (r) => r,
  );
}

export async function updateWarehouse(db: Db, id: string, changes: WarehouseChanges): Promise<Warehouse | null> {
  if (Object.keys(changes).length === 0) return findWarehouse(db, id);
  return (await db.update(warehouses).set(changes).where(eq(warehouses.id, id)).returning().get()) ?? null;
}

/** The ids of a vendor's closed warehouses: units there are not for sale. */
export async function closedWarehouseIds(db: Db, vendorId: string): Promise<Set<string>> {
  const rows = await db
    .select({ id: warehouses.id })
    .from(warehouses)
    .where(and(eq(warehouses.vendorId, vendorId), eq(warehouses.status, "inactive")));
  return new Set(rows.map((r) => r.id));
}
