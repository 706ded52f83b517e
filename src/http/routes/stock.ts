import { router } from "../context";

export const stock = router();
