import { eq } from "drizzle-orm";
import type { Db } from "./client";
import { customers, vendors } from "./schema";

export async function customerExists(db: Db, id: string): Promise<boolean> {
  return (await db.select({ id: customers.id }).from(customers).where(eq(customers.id, id)).get()) !== undefined;
}

export async function vendorExists(db: Db, id: string): Promise<boolean> {
  return (await db.select({ id: vendors.id }).from(vendors).where(eq(vendors.id, id)).get()) !== undefined;
}

export function insertCustomer(
  db: Db,
  row: { id: string; name: string; email: string | null; phone: string | null; createdAt: string },
) {
  return db.insert(customers).values(row);
}
