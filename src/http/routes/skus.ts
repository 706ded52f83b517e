import { router } from "../context";

export const skus = router();
