import { and, asc, count, desc, eq, sql } from "drizzle-orm";
import type { Db } from "./client";
import { type OrderListFilter, orderConditions } from "./orders";
import { type After, afterKey, keyOrder } from "./paging";
import { creditNotes, orders, subOrders, vendors } from "./schema";

export type ExportFilter = Omit<OrderListFilter, "after" | "limit" | "customerId"> & {
  /** Only this vendor's sub-orders of each order (a vendor's export); ops see every sub-order. */
  ownVendorId?: string;
};

/** One sub-order of an exported order, with the order's own fields beside it. */
export type ExportRow = {
  orderId: string;
  createdAt: string;
  orderStatus: string;
  paymentStatus: string;
  customerId: string;
  currency: string;
  orderTotalMinor: number;
  subOrderId: string;
  vendorId: string;
  vendorName: string | null;
  subOrderStatus: string;
  subOrderTotalMinor: number;
};

/** How many orders an export would hold: checked before it starts, so a too-wide one is refused, not cut short. */
export async function countExportOrders(db: Db, f: ExportFilter): Promise<number> {
  const row = await db
    .select({ n: count() })
    .from(orders)
    .where(and(...orderConditions(f)))
    .get();
  return row?.n ?? 0;
}

/**
 * How many rows an export would hold, one a sub-order of each matching order (a vendor's only its
 * own): what a PDF, built whole in memory, is limited by, since one order may have 50 sub-orders.
 */
export async function countExportRows(db: Db, f: ExportFilter): Promise<number> {
  const row = await db
    .select({ n: count() })
    .from(orders)
    .innerJoin(subOrders, eq(subOrders.orderId, orders.id))
    .where(and(...orderConditions(f), f.ownVendorId ? eq(subOrders.vendorId, f.ownVendorId) : undefined))
    .get();
  return row?.n ?? 0;
}

/**
 * The next `limit` orders of the filter after `after`, each with its sub-orders, in ONE query (the
 * page of orders as a CTE joined to its sub-orders): an export of many thousand orders then costs one
 * D1 query per page, whatever the sub-orders, and no row is read twice. Keyset order as the list's.
 */
export async function exportOrderPage(db: Db, f: ExportFilter, after: After | undefined, limit: number) {
  const direction = f.ascending ? "asc" : "desc";
  const page = db.$with("page").as(
    db
      .select({
        id: orders.id,
        createdAt: orders.createdAt,
        orderStatus: sql<string>`${orders.status}`.as("order_status"),
        paymentStatus: orders.paymentStatus,
        customerId: orders.customerId,
        currency: orders.currency,
        orderTotalMinor: sql<number>`${orders.totalMinor}`.as("order_total_minor"),
      })
      .from(orders)
      .where(and(...orderConditions(f), afterKey(orders.createdAt, orders.id, after, direction)))
      .orderBy(...keyOrder(orders.createdAt, orders.id, direction))
      .limit(limit),
  );
  const rows: ExportRow[] = await db
    .with(page)
    .select({
      orderId: page.id,
      createdAt: page.createdAt,
      orderStatus: page.orderStatus,
      paymentStatus: page.paymentStatus,
      customerId: page.customerId,
      currency: page.currency,
      orderTotalMinor: page.orderTotalMinor,
      subOrderId: subOrders.id,
      vendorId: subOrders.vendorId,
      vendorName: vendors.name,
      subOrderStatus: subOrders.status,
      subOrderTotalMinor: subOrders.totalMinor,
    })
    .from(page)
    .innerJoin(subOrders, eq(subOrders.orderId, page.id))
    .leftJoin(vendors, eq(vendors.id, subOrders.vendorId))
    .where(f.ownVendorId ? eq(subOrders.vendorId, f.ownVendorId) : undefined)
    .orderBy(
      ...(direction === "asc" ? [asc(page.createdAt), asc(page.id)] : [desc(page.createdAt), desc(page.id)]),
      asc(subOrders.vendorId),
    );
  const last = rows.at(-1);
  const orderCount = new Set(rows.map((r) => r.orderId)).size;
  return {
    rows,
    next: orderCount === limit && last ? { key: last.createdAt, id: last.orderId } : undefined,
  };
}

export type CreditNoteRow = typeof creditNotes.$inferSelect & {
  customerId: string;
  vendorId: string;
  vendorName: string | null;
  /** Its order is held for review: it does not exist for its vendor. */
  orderHeld: boolean;
};

/** A credit note with its order's customer and its sub-order's vendor: who, besides ops, may read it. */
export async function findCreditNote(db: Db, id: string): Promise<CreditNoteRow | undefined> {
  const row = await db
    .select({
      note: creditNotes,
      customerId: orders.customerId,
      orderHeld: orders.reviewHeld,
      vendorId: subOrders.vendorId,
      vendorName: vendors.name,
    })
    .from(creditNotes)
    .innerJoin(orders, eq(orders.id, creditNotes.orderId))
    .innerJoin(subOrders, eq(subOrders.id, creditNotes.subOrderId))
    .leftJoin(vendors, eq(vendors.id, subOrders.vendorId))
    .where(eq(creditNotes.id, id))
    .get();
  return row
    ? {
        ...row.note,
        customerId: row.customerId,
        vendorId: row.vendorId,
        vendorName: row.vendorName,
        orderHeld: row.orderHeld,
      }
    : undefined;
}
