// The API's contracts import `z` from @hono/zod-openapi, which adds `.openapi()` (documentation
// metadata) to zod and brings Hono and the OpenAPI generator with it. The browser needs only the
// validation: this stands in for that module in the web build, with `.openapi()` a no-op.
import { z } from "zod";

declare module "zod" {
  interface ZodType {
    openapi(...args: unknown[]): this;
  }
}

const proto = z.ZodType.prototype as unknown as { openapi?: unknown };
if (!proto.openapi) {
  proto.openapi = function (this: unknown) {
    return this;
  };
}

export { z };
