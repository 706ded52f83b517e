import { z } from "@hono/zod-openapi";
import { ImageUrls } from "./catalog";
import { Id, IsoTime } from "./common";

// Products by CSV: the upload's answer and progress, and the product photos' wire format.

/** Rows refused are reported up to this many; the counts cover them all. */
export const MAX_REPORTED_ERRORS = 1_000;
/** A CSV of 10,000 rows of ordinary products fits well under this. */
export const MAX_IMPORT_BYTES = 8 * 1024 * 1024;
export const MAX_IMPORT_ROWS = 20_000;

export const RowError = z
  .object({
    line: z.number().int().openapi({ description: "The file's line the row starts on; the header is line 1" }),
    field: z.string().openapi({ description: "The CSV column, or `row` for the row as a whole" }),
    message: z.string(),
  })
  .openapi("ImportRowError");
export type RowError = z.infer<typeof RowError>;

export const ProductImport = z
  .object({
    id: z.string(),
    vendorId: z.string(),
    status: z.enum(["applying", "done"]),
    totalRows: z.number().int(),
    validRows: z.number().int().openapi({ description: "Rows that passed validation and are applied in pages" }),
    invalidRows: z.number().int().openapi({ description: "Rows refused, at validation or when applied" }),
    appliedRows: z
      .number()
      .int()
      .openapi({ description: "Valid rows gone through so far, those refused when applied included: the progress" }),
    createdProducts: z.number().int(),
    createdSkus: z.number().int(),
    offers: z.number().int().openapi({ description: "New SKUs whose GTIN matched an existing product: offers on it" }),
    updatedSkus: z.number().int().openapi({ description: "Rows naming an existing SKU code of the vendor" }),
    stockLevels: z.number().int().openapi({ description: "(SKU, warehouse) levels the file created" }),
    errors: z.array(RowError).openapi({ description: `Each refused row, by line (at most ${MAX_REPORTED_ERRORS})` }),
    createdAt: IsoTime,
  })
  .openapi("ProductImport");
export type ProductImport = z.infer<typeof ProductImport>;

export const ProductImportParams = z.object({ importId: Id });

export const ProductImportCsv = z.string().openapi({
  description:
    "CSV with a header row: product_title, sku_code, price (major units, e.g. 499.00), gtin, and optionally " +
    "product_description, sku_title, low_stock_threshold, and one `stock:<warehouse id or name>` column per warehouse.",
  example:
    "product_title,sku_code,sku_title,price,gtin,stock:Main\nLinen shirt,SHIRT-M,Linen shirt M,1499.00,8901234567890,12\n",
});

// ---- product images

export const IMAGE_SIZES = { thumb: 200, medium: 800 } as const;
export const ImageSize = z.enum(["thumb", "medium"]);
export type ImageSize = z.infer<typeof ImageSize>;
export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
/**
 * The most pixels a photo may have, read from its header and refused before anything is decoded.
 * A photo is decoded whole inside the Worker isolate's 128 MB, which everything else the isolate
 * holds shares: the decoder's memory (4 to 8 bytes a pixel) and the copy out of it (4) at once, and
 * the PNG decoder keeps its memory for the isolate's life. At 4 MP the worst sequence, a PNG then a
 * progressive JPEG, measured at most about 100 MB (`bun run bench:photos`); at 5 MP, about 115.
 * A phone's 12 MP photo goes through the vendor app, which sends it at 1,600 pixels.
 */
export const MAX_IMAGE_PIXELS = 4_000_000;

export const ProductImage = z
  .object({
    id: z.string(),
    productId: z.string(),
    width: z.number().int().openapi({ description: "The original's width in pixels" }),
    height: z.number().int(),
    urls: ImageUrls.openapi({
      description: `WebP, fitted within ${IMAGE_SIZES.thumb} and ${IMAGE_SIZES.medium} pixels on the longer side`,
    }),
    createdAt: IsoTime,
  })
  .openapi("ProductImage");
export type ProductImage = z.infer<typeof ProductImage>;

export const ProductImageParams = z.object({ imageId: Id, size: ImageSize });
export const ProductImageOfProductParams = z.object({ productId: Id, imageId: Id });

/**
 * Photos one product may have. Any seller of a shared product may add them, and a catalog page
 * reads its cards' first few: without a cap one vendor's thousand tiny PNGs weigh on every read.
 */
export const MAX_PRODUCT_IMAGES = 20;

/** Where a stored image is served: immutable once written, so it is cached for good. */
export function imageUrl(imageId: string, size: ImageSize): string {
  return `/v1/product-images/${imageId}/${size}`;
}
