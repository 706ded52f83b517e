import { json, problemResponses } from "../../contracts/common";
import { Me } from "../../contracts/tokens";
import { config } from "../../platform/config";
import { requireRole } from "../auth";
import { router } from "../context";
import { defineRoute } from "../route";

const whoAmI = defineRoute({
  method: "get",
  path: "/me",
  access: ["admin", "ops", "vendor", "customer"],
  summary: "Who the bearer token belongs to",
  responses: { 200: json(Me, "The caller"), ...problemResponses },
});

export const me = router().openapi(whoAmI, (c) => {
  const who = requireRole(c, "admin", "ops", "vendor", "customer");
  return c.json(
    {
      role: who.role,
      ...(who.role === "vendor" ? { vendorId: who.vendorId } : {}),
      ...(who.role === "customer" ? { customerId: who.customerId } : {}),
      currency: config(c.env).currency,
    },
    200,
  );
});
