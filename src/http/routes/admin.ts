import { router } from "../context";

export const admin = router();
