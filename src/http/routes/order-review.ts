import { router } from "../context";

export const orderReview = router();
