import { router } from "../context";

export const warehouses = router();
