import { router } from "../context";

export const payments = router();
