import { z } from "@hono/zod-openapi";

/** One alert for the ops team (a refund the provider failed, a halted payout run, ...), as ops' list shows it. */
export const OpsAlert = z
  .object({
    id: z.string(),
    template: z.string().openapi({
      description: "What happened, e.g. `refund_failed`, `payout_run_halted`, `vendor_suspended_open_orders`",
    }),
    text: z.string().openapi({ description: "The alert as ops read it: what happened and what they can do" }),
    params: z.record(z.string(), z.unknown()).openapi({ description: "The ids and amounts the text names" }),
    createdAt: z.string(),
  })
  .openapi("OpsAlert");

export type OpsAlert = z.infer<typeof OpsAlert>;
