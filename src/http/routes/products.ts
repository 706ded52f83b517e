import { router } from "../context";

export const products = router();
