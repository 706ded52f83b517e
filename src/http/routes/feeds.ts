import { router } from "../context";

export const feeds = router();
