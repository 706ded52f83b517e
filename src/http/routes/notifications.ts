import { router } from "../context";

export const notifications = router();
