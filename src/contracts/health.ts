import { z } from "@hono/zod-openapi";
import { IsoTime } from "./common";

/** `none`: a production Worker without Stripe keys, which cannot take payments. */
export const PaymentProviderName = z.enum(["stripe", "simulated", "none"]);
export type PaymentProviderName = z.infer<typeof PaymentProviderName>;

const Probe = z.object({ ok: z.boolean(), latencyMs: z.number().int().min(0) });

export const Health = z
  .object({
    status: z.enum(["ok", "failing"]),
    checkedAt: IsoTime,
    // The rest only for ops and admin: anyone else learns up or down, nothing about the insides.
    checks: z
      .object({
        d1: Probe,
        stock: Probe,
        payments: z.object({ ok: z.boolean(), provider: PaymentProviderName }),
      })
      .optional(),
    eventBacklog: z
      .object({
        unsent: z.number().int().min(0),
        oldestUnsentAgeSeconds: z.number().int().min(0).nullable(),
      })
      .nullable()
      .optional()
      .openapi({ description: "Outbox rows not yet sent to the order-events queue; null when D1 did not answer" }),
  })
  .openapi("Health");
export type Health = z.infer<typeof Health>;
