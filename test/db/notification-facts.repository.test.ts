import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { database } from "../../src/db/client";
import { notificationFacts } from "../../src/db/notifications";
import { newCustomer } from "../support/api";
import { BENGALURU, MUMBAI, stockedSku } from "../support/marketplace";
import { seedPaidOrder } from "../support/seed";

describe("what composing an order's messages knows of it", () => {
  it("counts the parcels the shopper sees: not a shell a reassignment emptied into another vendor's", async () => {
    const [a, b] = await Promise.all([
      stockedSku({ warehouses: [{ at: BENGALURU, onHand: 1 }] }),
      stockedSku({ warehouses: [{ at: MUMBAI, onHand: 1 }] }),
    ]);
    const shopper = await newCustomer();
    // One parcel, moved from vendor a to vendor b: a's sub-order is left behind, emptied.
    const { orderId, subOrderIds } = await seedPaidOrder(shopper.customerId, [a.vendorId, b.vendorId]);
    await env.DB.prepare("update sub_orders set status = 'cancelled', cancellation_reason = 'reassigned' where id = ?")
      .bind(subOrderIds[0])
      .run();

    const { facts } = await notificationFacts(database(env), [orderId], []);
    expect(facts).toEqual([expect.objectContaining({ orderId, subOrderCount: 1, vendorCount: 1 })]);
  });
});
