import { router } from "../context";

export const vendors = router();
