import { z } from "@hono/zod-openapi";
import { Email, Id, IsoTime, ListQuery, Money, Phone, UnitPrice } from "./common";

// The catalog's wire format: vendors, warehouses, products, SKUs, the public catalog and
// postal codes. Request bodies are strict, so a misspelt field is refused instead of ignored.

const Name = z.string().trim().min(1).max(120);
const Latitude = z.number().min(-90).max(90);
const Longitude = z.number().min(-180).max(180);
/** Free-text filters; an empty value means "no filter", so a plain HTML form can send it. */
const SearchText = z.string().trim().max(100).optional();
const IdFilter = z.string().max(64).optional();

export const Country = z
  .string()
  .regex(/^[A-Z]{2}$/, "ISO 3166-1 alpha-2 code, upper case")
  .openapi({ example: "IN" });

export const PostalCode = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9 -]{0,15}$/, "1 to 16 letters, digits, spaces or dashes")
  .openapi({ example: "560034" });

// ---- vendors

export const VendorStatus = z.enum(["active", "suspended"]);
/** A vendor sells only once approved; `POST /v1/vendors` creates it approved, an invite as a draft. */
export const OnboardingState = z.enum(["draft", "submitted", "approved", "rejected"]);
export type OnboardingState = z.infer<typeof OnboardingState>;
const SlaHours = z.number().int().min(1).max(720);
const NudgeLeadHours = z.number().int().min(0).max(719);
const NudgeLeadMinutes = z
  .number()
  .int()
  .min(0)
  .max(720 * 60 - 1);
const CommissionBps = z.number().int().min(0).max(10_000);
const HourlyCapacity = z.number().int().min(0).max(1_000_000);
const PayoutAccountId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, "a payment provider account id, e.g. acct_1Nv0...")
  .openapi({ example: "acct_1Demo" });

export const Vendor = z
  .object({
    id: z.string(),
    name: z.string(),
    status: VendorStatus,
    dispatchSlaHours: z.number().int(),
    nudgeLeadHours: z.number().int().openapi({ description: "The whole hours of nudgeLeadMinutes, rounded down" }),
    nudgeLeadMinutes: z.number().int(),
    commissionBps: z.number().int(),
    hourlyCapacity: z.number().int(),
    payoutAccountId: z.string().nullable(),
    contactPhone: z.string().nullable(),
    contactEmail: z.string().nullable(),
    createdAt: IsoTime,
    onboarding: OnboardingState,
  })
  .openapi("Vendor");
export type Vendor = z.infer<typeof Vendor>;

/** Where the vendor's floor hears of a sub-order about to miss its SLA: WhatsApp first, else email. */
const VendorPhone = Phone.openapi({ description: "WhatsApp number for dispatch nudges" });
const VendorEmail = Email.openapi({ description: "Address for dispatch nudges when there is no WhatsApp number" });

/**
 * Without an explicit lead, vendors are nudged 6 hours before the deadline, an hour before a
 * shorter SLA, and half-way through a 1-hour SLA (30 minutes), which has no hour to spare: every
 * SLA gets a nudge it can still act on.
 */
export function defaultNudgeLeadMinutes(dispatchSlaHours: number): number {
  return Math.min(360, Math.max(dispatchSlaHours * 60 - 60, dispatchSlaHours * 30));
}

/** The lead a body asks for, in minutes: `nudgeLeadMinutes`, or `nudgeLeadHours` (older clients) counted in minutes. */
export function requestedNudgeLeadMinutes(body: { nudgeLeadHours?: number; nudgeLeadMinutes?: number }) {
  return body.nudgeLeadMinutes ?? (body.nudgeLeadHours === undefined ? undefined : body.nudgeLeadHours * 60);
}

/**
 * What is wrong with the nudge lead a body asks for, against the SLA it will run under (and the
 * lead it has now, for a change that names only the SLA): its two spellings are one setting, so a
 * body naming both is refused rather than guessed at; the lead must stay below the SLA. Null if fine.
 */
export function nudgeLeadIssue(
  body: { nudgeLeadHours?: number; nudgeLeadMinutes?: number },
  slaHours: number,
  currentMinutes?: number,
): { path: string; message: string } | null {
  if (body.nudgeLeadHours !== undefined && body.nudgeLeadMinutes !== undefined) {
    return { path: "nudgeLeadMinutes", message: "give nudgeLeadMinutes or nudgeLeadHours, not both" };
  }
  const asked = requestedNudgeLeadMinutes(body);
  const lead = asked ?? currentMinutes;
  if (lead === undefined || lead < slaHours * 60) return null;
  const path =
    asked === undefined
      ? "dispatchSlaHours"
      : body.nudgeLeadMinutes === undefined
        ? "nudgeLeadHours"
        : "nudgeLeadMinutes";
  return { path, message: `the nudge lead (${lead} minutes) must be less than dispatchSlaHours (${slaHours} hours)` };
}

export const CreateVendor = z
  .object({
    name: Name,
    dispatchSlaHours: SlaHours.default(18),
    nudgeLeadHours: NudgeLeadHours.optional().openapi({ description: "Sets nudgeLeadMinutes to this many hours" }),
    nudgeLeadMinutes: NudgeLeadMinutes.optional().openapi({
      description:
        "How long before the dispatch deadline the vendor is nudged; always below the SLA. Default 360, an hour " +
        "less than a shorter SLA, 30 for a 1-hour SLA",
    }),
    commissionBps: CommissionBps,
    hourlyCapacity: HourlyCapacity,
    payoutAccountId: PayoutAccountId.optional(),
    contactPhone: VendorPhone.optional(),
    contactEmail: VendorEmail.optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    const issue = nudgeLeadIssue(v, v.dispatchSlaHours);
    if (issue) ctx.addIssue({ code: "custom", path: [issue.path], message: issue.message });
  })
  .openapi("CreateVendor");

export const UpdateVendor = z
  .object({
    name: Name.optional(),
    status: VendorStatus.optional(),
    dispatchSlaHours: SlaHours.optional(),
    nudgeLeadHours: NudgeLeadHours.optional(),
    nudgeLeadMinutes: NudgeLeadMinutes.optional(),
    commissionBps: CommissionBps.optional(),
    hourlyCapacity: HourlyCapacity.optional(),
    payoutAccountId: PayoutAccountId.nullable().optional(),
    contactPhone: VendorPhone.nullable().optional(),
    contactEmail: VendorEmail.nullable().optional(),
  })
  .strict()
  .openapi("UpdateVendor");
export type UpdateVendor = z.infer<typeof UpdateVendor>;

/**
 * What a vendor may change about itself: how it is called and how it runs its own floor.
 * Status, commission, the SLA it signed up to and where its money goes stay with the platform
 * (a stolen vendor token must not be able to redirect payouts).
 */
export const vendorEditableFields = [
  "name",
  "nudgeLeadHours",
  "nudgeLeadMinutes",
  "hourlyCapacity",
  "contactPhone",
  "contactEmail",
] as const;

export const VendorParams = z.object({ vendorId: Id });

// ---- warehouses

export const WarehouseStatus = z.enum(["active", "inactive"]);

export const Warehouse = z
  .object({
    id: z.string(),
    vendorId: z.string(),
    name: z.string(),
    lat: z.number(),
    lng: z.number(),
    postalCode: z.string(),
    country: z.string(),
    status: WarehouseStatus,
    createdAt: IsoTime,
  })
  .openapi("Warehouse");
export type Warehouse = z.infer<typeof Warehouse>;

function coordinatesTogether(v: { lat?: number | undefined; lng?: number | undefined }, ctx: z.RefinementCtx) {
  if ((v.lat === undefined) !== (v.lng === undefined)) {
    ctx.addIssue({ code: "custom", path: [v.lat === undefined ? "lat" : "lng"], message: "give lat and lng together" });
  }
}

export const CreateWarehouse = z
  .object({
    name: Name,
    lat: Latitude.optional(),
    lng: Longitude.optional(),
    postalCode: PostalCode,
    country: Country,
  })
  .strict()
  .superRefine(coordinatesTogether)
  .openapi("CreateWarehouse", {
    description: "Without lat/lng the coordinates are looked up from the postal-code table (422 if it is unknown).",
  });

export const UpdateWarehouse = z
  .object({
    name: Name.optional(),
    lat: Latitude.optional(),
    lng: Longitude.optional(),
    postalCode: PostalCode.optional(),
    country: Country.optional(),
    status: WarehouseStatus.optional(),
  })
  .strict()
  .superRefine(coordinatesTogether)
  .openapi("UpdateWarehouse", {
    description:
      "A new postal code or country without lat/lng moves the coordinates to that postal code (422 if it is unknown).",
  });
export type UpdateWarehouse = z.infer<typeof UpdateWarehouse>;

export const WarehouseParams = z.object({ warehouseId: Id });

// ---- products

export const Product = z
  .object({ id: z.string(), title: z.string(), description: z.string().nullable(), createdAt: IsoTime })
  .openapi("Product");
export type Product = z.infer<typeof Product>;

export const CreateProduct = z
  .object({ title: z.string().trim().min(1).max(200), description: z.string().trim().max(4000).optional() })
  .strict()
  .openapi("CreateProduct");

/** Ops and admins correct a shared product card: the first seller of a GTIN wrote it for every later one. */
export const UpdateProduct = z
  .object({
    title: z.string().trim().min(1).max(200).optional(),
    description: z
      .string()
      .trim()
      .max(4000)
      .nullable()
      .optional()
      .openapi({ description: "null or an empty string clears it" }),
  })
  .strict()
  .openapi("UpdateProduct");
export type UpdateProduct = z.infer<typeof UpdateProduct>;

export const ProductQuery = ListQuery.extend({ search: SearchText });
export const ProductParams = z.object({ productId: Id });

// ---- SKUs

export const SkuStatus = z.enum(["active", "inactive"]);
export const SkuCode = z.string().trim().min(1).max(64).openapi({ example: "TEE-BLK-M" });
export const SkuTitle = z.string().trim().min(1).max(200);
export const Barcode = z
  .string()
  .regex(/^[0-9A-Za-z._-]{1,64}$/, "1 to 64 letters, digits, dots, dashes or underscores")
  .openapi({ example: "8901234567890" });
const StockThreshold = z.number().int().min(0).max(1_000_000);

/** What one unit weighs packed: the weight band its parcel's shipping is priced in. */
const WeightGrams = z.number().int().min(1).max(1_000_000).openapi({
  description: "One unit's shipping weight, packed, in grams (prices its parcel's weight band); default 500",
});

export const Sku = z
  .object({
    id: z.string(),
    vendorId: z.string(),
    productId: z.string(),
    code: z.string(),
    title: z.string(),
    price: Money,
    barcode: z.string(),
    lowStockThreshold: z.number().int(),
    weightGrams: z.number().int().openapi({ description: "One unit's shipping weight, packed, in grams" }),
    saleMaxUnitsPerCustomer: z.number().int().nullable().openapi({
      description: "A flash sale's cap on units per customer held or unshipped at once; null: only the global cap",
    }),
    status: SkuStatus,
    createdAt: IsoTime,
    updatedAt: IsoTime,
  })
  .openapi("Sku");
export type Sku = z.infer<typeof Sku>;

export const CreateSku = z
  .object({
    vendorId: Id,
    productId: Id,
    code: SkuCode,
    title: SkuTitle,
    price: UnitPrice,
    barcode: Barcode,
    lowStockThreshold: StockThreshold.default(0),
    weightGrams: WeightGrams.default(500),
  })
  .strict()
  .openapi("CreateSku");
export type CreateSku = z.infer<typeof CreateSku>;

export const UpdateSku = z
  .object({
    title: SkuTitle.optional(),
    price: UnitPrice.optional(),
    barcode: Barcode.optional(),
    lowStockThreshold: StockThreshold.optional(),
    weightGrams: WeightGrams.optional(),
    status: SkuStatus.optional(),
    saleMaxUnitsPerCustomer: z.number().int().min(1).max(1_000_000).nullable().optional().openapi({
      description: "Ops and admins only: a flash sale's cap on units per customer (null ends it)",
    }),
  })
  .strict()
  .openapi("UpdateSku");
export type UpdateSku = z.infer<typeof UpdateSku>;

export const SkuQuery = ListQuery.extend({ vendorId: IdFilter, productId: IdFilter, status: SkuStatus.optional() });
export const SkuParams = z.object({ skuId: Id });

// ---- the public catalog

export const CatalogItem = z
  .object({
    skuId: z.string(),
    vendorId: z.string(),
    vendorName: z.string(),
    productId: z.string(),
    title: z.string(),
    price: Money,
    barcode: z.string(),
    available: z.number().int().openapi({
      description: "Units available over the vendor's active warehouses, from the stock mirror (eventually consistent)",
    }),
  })
  .openapi("CatalogItem");
export type CatalogItem = z.infer<typeof CatalogItem>;

export const CatalogQuery = ListQuery.extend({ search: SearchText, vendorId: IdFilter, productId: IdFilter });

export const ImageUrls = z
  .object({ thumb: z.string(), medium: z.string() })
  .openapi("ImageUrls", { description: "A product photo's resized forms (WebP), served with long-lived caching" });
export type ImageUrls = z.infer<typeof ImageUrls>;

/** One product as the storefront shows it: all its sellers' offers summed up in one card. */
export const CatalogProduct = z
  .object({
    productId: z.string(),
    title: z.string(),
    minPrice: Money.openapi({ description: "The cheapest active offer with stock (of all, when none has any)" }),
    maxPrice: Money.openapi({ description: "The dearest active offer with stock (of all, when none has any)" }),
    sellers: z
      .number()
      .int()
      .openapi({ description: "Active vendors offering it with stock (all of them, when none has any)" }),
    offers: z.number().int(),
    oneItem: z.boolean().openapi({
      description:
        "Every offer is the same item (no sizes or colours to choose), so a checkout line may name the product; otherwise order an offer by skuId",
    }),
    available: z.number().int().openapi({ description: "Units available over all offers, from the stock mirror" }),
    images: z.array(ImageUrls).openapi({ description: "The product's photos, oldest first (at most 4)" }),
  })
  .openapi("CatalogProduct");
export type CatalogProduct = z.infer<typeof CatalogProduct>;

export const CatalogProductQuery = ListQuery.extend({ search: SearchText });

// ---- postal codes

export const PostalCodeEntry = z
  .object({ country: z.string(), code: z.string(), lat: z.number(), lng: z.number(), place: z.string().nullable() })
  .openapi("PostalCode");
export type PostalCodeEntry = z.infer<typeof PostalCodeEntry>;

/** Path lookups are case-insensitive: codes are stored normalized (upper case, single spaces). */
export const PostalCodeParams = z.object({
  country: z
    .string()
    .regex(/^[A-Za-z]{2}$/, "ISO 3166-1 alpha-2 code")
    .openapi({ example: "IN" }),
  code: PostalCode,
});

export const PostalCodeCsv = z.string().openapi({
  description: "CSV with a header row naming the columns country,code,lat,lng and optionally place, in any order",
  example: "country,code,lat,lng,place\nIN,560034,12.9352,77.6245,Koramangala\n",
});

export const PostalCodeImport = z
  .object({
    imported: z.number().int(),
    rejected: z.array(z.object({ line: z.number().int(), message: z.string() })),
  })
  .openapi("PostalCodeImport");
