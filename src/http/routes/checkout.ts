import { router } from "../context";

export const checkout = router();
