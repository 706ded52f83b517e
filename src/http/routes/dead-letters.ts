import { router } from "../context";

export const deadLetters = router();
