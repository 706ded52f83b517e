import { router } from "../context";

export const routing = router();
