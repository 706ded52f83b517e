import { z } from "@hono/zod-openapi";
import { Currency, Email, Id, Phone } from "./common";

export const CreateToken = z
  .object({
    role: z.enum(["admin", "ops", "vendor", "customer"]),
    vendorId: Id.optional(),
    customerId: Id.optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    if ((v.role === "vendor") !== (v.vendorId !== undefined)) {
      ctx.addIssue({
        code: "custom",
        path: ["vendorId"],
        message: "vendorId is required for, and only for, role vendor",
      });
    }
    if ((v.role === "customer") !== (v.customerId !== undefined)) {
      ctx.addIssue({
        code: "custom",
        path: ["customerId"],
        message: "customerId is required for, and only for, role customer",
      });
    }
  })
  .openapi("CreateToken");

export const CreatedToken = z.object({ id: z.string(), token: z.string() }).openapi("CreatedToken");

export const CreateCustomer = z
  .object({
    name: z.string().trim().min(1).max(120),
    email: Email.optional(),
    phone: Phone.optional(),
  })
  .strict()
  .openapi("CreateCustomer");
export type CreateCustomer = z.infer<typeof CreateCustomer>;

export const CreatedCustomer = z.object({ customerId: z.string(), token: z.string() }).openapi("CreatedCustomer");

/** Who a bearer token belongs to (`GET /v1/me`). */
export const Me = z
  .object({
    role: z.enum(["admin", "ops", "vendor", "customer"]),
    vendorId: z.string().optional(),
    customerId: z.string().optional(),
    currency: Currency.openapi({ description: "The marketplace's currency: every price, charge and payout is in it" }),
  })
  .openapi("Me");
