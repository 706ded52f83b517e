import { z } from "zod";

/** One message on the order-events queue: an outbox row, as written in the state change's batch. */
export const OrderEventMessage = z.object({
  id: z.number().int(),
  type: z.string(),
  orderId: z.string().nullable(),
  at: z.string(),
  payload: z.record(z.string(), z.unknown()),
});
export type OrderEventMessage = z.infer<typeof OrderEventMessage>;
