import { VendorParams } from "../../contracts/catalog";
import { json, problemResponses } from "../../contracts/common";
import { PayoutAccountSetup, PayoutAccountStatus } from "../../contracts/payout-accounts";
import { payoutAccountStatus, setUpPayoutAccount } from "../../payout-accounts/payout-account";
import { router } from "../context";
import { ApiError } from "../errors";
import { defineRoute } from "../route";
import { actsFor, notFound, principalOf } from "../scope";

const setUp = defineRoute({
  method: "post",
  path: "/vendors/{vendorId}/payout-account",
  access: ["admin", "vendor"],
  summary: "Set up the vendor's payout account",
  description:
    "Creates the vendor's connected account at the payout provider if it has none (Stripe: an Express account " +
    "in PLATFORM_COUNTRY; the simulator's is ready at once), refreshes its readiness otherwise, and answers a " +
    "one-time onboarding link that returns to the vendor app. Another vendor's id is 404; customers 403.",
  request: { params: VendorParams },
  responses: { 200: json(PayoutAccountSetup, "The account's status and an onboarding link"), ...problemResponses },
});

const read = defineRoute({
  method: "get",
  path: "/vendors/{vendorId}/payout-account",
  access: ["admin", "ops", "vendor"],
  summary: "Read the vendor's payout readiness",
  description:
    "Whether transfers can be made to the vendor now and, if not, why, as the provider last reported " +
    "(`account.updated`). A vendor without a ready account accrues earnings but is not paid. Another vendor's " +
    "id is 404; customers 403.",
  request: { params: VendorParams },
  responses: { 200: json(PayoutAccountStatus, "The payout readiness"), ...problemResponses },
});

export const payoutAccounts = router()
  .openapi(setUp, async (c) => {
    const { vendorId } = c.req.valid("param");
    if (!actsFor(principalOf(c), vendorId)) throw notFound("vendor", vendorId);
    const result = await setUpPayoutAccount(c.env, vendorId, new URL(c.req.url).origin, new Date());
    if (!result.ok) throw new ApiError(result.code, result.detail);
    const { ok: _, ...setup } = result;
    return c.json(setup, 200);
  })
  .openapi(read, async (c) => {
    const { vendorId } = c.req.valid("param");
    if (!actsFor(principalOf(c), vendorId)) throw notFound("vendor", vendorId);
    const result = await payoutAccountStatus(c.env, vendorId);
    if (!result.ok) throw new ApiError(result.code, result.detail);
    return c.json(result.status, 200);
  });
