import type { CatalogItem } from "@contracts/catalog";
import type { Money, Problem } from "@contracts/common";
import type {
  CheckoutBody,
  CheckoutResult,
  OrderPage as OrderPageSchema,
  OrderSummary as OrderSummarySchema,
  OrderView,
  Shortage as ShortageSchema,
  SubOrderView as SubOrderViewSchema,
  TimelineEvent as TimelineEventSchema,
} from "@contracts/orders";
import type { CreatedCustomer as CreatedCustomerSchema } from "@contracts/tokens";
import type { z } from "zod";

// The wire types come from the API's zod contracts; the web app never re-declares them.
export type { CheckoutBody, CheckoutResult, Money, OrderView };
export type OrderSummary = z.infer<typeof OrderSummarySchema>;
export type OrderPage = z.infer<typeof OrderPageSchema>;
export type SubOrderView = z.infer<typeof SubOrderViewSchema>;
export type TimelineEvent = z.infer<typeof TimelineEventSchema>;
export type CreatedCustomer = z.infer<typeof CreatedCustomerSchema>;
export type OrderStatus = OrderView["status"];

export type ProblemBody = z.infer<typeof Problem> & {
  shortages?: z.infer<typeof ShortageSchema>[];
  allowed?: string[];
};

export type CatalogSku = CatalogItem;

export type Page<T> = { items: T[]; nextCursor: string | null };
