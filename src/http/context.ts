import { OpenAPIHono } from "@hono/zod-openapi";
import type { Principal } from "../domain/principal";
import { validationError, zodFieldErrors } from "./errors";

export type AppEnv = {
  Bindings: Env;
  Variables: { requestId: string; principal: Principal | null };
};

/** Every sub-app shares the validation hook, so a schema failure always becomes one 422 problem. */
export function router() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(zodFieldErrors(result.error));
    },
  });
}
