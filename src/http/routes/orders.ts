import { router } from "../context";

export const orders = router();
