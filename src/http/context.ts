import { OpenAPIHono } from "@hono/zod-openapi";
import type { Principal } from "../domain/principal";
import { validationError, zodFieldErrors } from "./errors";
import { illFormedTextAt } from "./well-formed-text";

export type AppEnv = {
  Bindings: Env;
  Variables: { requestId: string; principal: Principal | null };
};

/**
 * Every sub-app shares the validation hook, so a schema failure always becomes one 422 problem, as
 * does text that is not well-formed Unicode in whatever a schema let through (body, query, path).
 */
export function router() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(zodFieldErrors(result.error));
      const path = illFormedTextAt(result.data);
      if (path !== undefined) {
        throw validationError([{ path, message: "not well-formed Unicode (a lone surrogate)" }]);
      }
    },
  });
}
