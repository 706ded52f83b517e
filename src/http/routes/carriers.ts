import { router } from "../context";

export const carriers = router();
