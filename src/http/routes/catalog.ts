import { router } from "../context";

export const catalog = router();
