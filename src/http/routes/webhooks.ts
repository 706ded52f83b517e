import { router } from "../context";

export const webhooks = router();
