import { eq } from "drizzle-orm";
import type { Db } from "./client";
import { customers, vendors } from "./schema";
import { insertToken } from "./tokens";

export async function customerExists(db: Db, id: string): Promise<boolean> {
  return (await db.select({ id: customers.id }).from(customers).where(eq(customers.id, id)).get()) !== undefined;
}

export async function vendorExists(db: Db, id: string): Promise<boolean> {
  return (await db.select({ id: vendors.id }).from(vendors).where(eq(vendors.id, id)).get()) !== undefined;
}

/** One batch: a customer never exists without the token that lets it act (a guest's token expires). */
export async function insertCustomerWithToken(
  db: Db,
  customer: { id: string; name: string; email: string | null; phone: string | null; createdAt: string },
  token: { id: string; tokenHash: string; expiresAt: string },
) {
  await db.batch([
    db.insert(customers).values(customer),
    insertToken(db, { ...token, role: "customer", customerId: customer.id, createdAt: customer.createdAt }),
  ]);
}
