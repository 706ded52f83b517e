import type { BridgeReport as BridgeReportSchema, BridgeSecret as BridgeSecretSchema } from "@contracts/bridge";
import type {
  CatalogItem,
  CatalogProduct,
  Sku as SkuSchema,
  Vendor as VendorSchema,
  Warehouse as WarehouseSchema,
} from "@contracts/catalog";
import type { Money, Problem } from "@contracts/common";
import type { PlatformEarnings, SubOrderEarnings, VendorEarnings } from "@contracts/earnings";
import type {
  Carrier as CarrierSchema,
  SubOrderDetail as SubOrderDetailSchema,
  SubOrderSummary as SubOrderSummarySchema,
} from "@contracts/fulfillment";
import type { Onboarding as OnboardingSchema, SaveStep as SaveStepSchema } from "@contracts/onboarding";
import type {
  CheckoutBody,
  CheckoutResult,
  OrderCounts as OrderCountsSchema,
  OrderPage as OrderPageSchema,
  OrderSummary as OrderSummarySchema,
  OrderView,
  Shortage as ShortageSchema,
  SubOrderView as SubOrderViewSchema,
  TimelineEvent as TimelineEventSchema,
} from "@contracts/orders";
import type {
  PayoutAccountSetup as PayoutAccountSetupSchema,
  PayoutAccountStatus as PayoutAccountStatusSchema,
} from "@contracts/payout-accounts";
import type { PayoutRunView, VendorPayout as VendorPayoutSchema } from "@contracts/payouts";
import type {
  ProductImage as ProductImageSchema,
  ProductImport as ProductImportSchema,
} from "@contracts/product-imports";
import type { StockLevels as StockLevelsSchema } from "@contracts/stock";
import type { CreatedCustomer as CreatedCustomerSchema, Me as MeSchema } from "@contracts/tokens";
import type { z } from "zod";

// The wire types come from the API's zod contracts; the web app never re-declares them.
export type { CheckoutBody, CheckoutResult, Money, OrderView, PlatformEarnings, SubOrderEarnings, VendorEarnings };
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
export type { CatalogProduct };

export type Page<T> = { items: T[]; nextCursor: string | null };

export type Me = z.infer<typeof MeSchema>;
export type Vendor = z.infer<typeof VendorSchema>;
export type PayoutAccountStatus = z.infer<typeof PayoutAccountStatusSchema>;
export type PayoutAccountSetup = z.infer<typeof PayoutAccountSetupSchema>;
export type Warehouse = z.infer<typeof WarehouseSchema>;
export type Sku = z.infer<typeof SkuSchema>;
export type Carrier = z.infer<typeof CarrierSchema>;
export type SubOrderSummary = z.infer<typeof SubOrderSummarySchema>;
export type SubOrderDetail = z.infer<typeof SubOrderDetailSchema>;
export type StockLevels = z.infer<typeof StockLevelsSchema>;
export type BulkResults = { results: { id: string; ok: boolean; problem?: ProblemBody }[] };
export type OrderCounts = z.infer<typeof OrderCountsSchema>;

export type BridgeReport = z.infer<typeof BridgeReportSchema>;
export type BridgeSecret = z.infer<typeof BridgeSecretSchema>;
export type Onboarding = z.infer<typeof OnboardingSchema>;
export type SaveStep = z.infer<typeof SaveStepSchema>;
export type ProductImport = z.infer<typeof ProductImportSchema>;
export type ProductImage = z.infer<typeof ProductImageSchema>;
export type PayoutRun = z.infer<typeof PayoutRunView>;
export type VendorPayout = z.infer<typeof VendorPayoutSchema>;
