import { router } from "../context";

export const subOrders = router();
