import { router } from "../context";

export const carrierWebhooks = router();
