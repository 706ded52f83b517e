import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiProblem } from "../../web/src/api";
import { saveFile } from "../../web/src/download";

afterEach(() => vi.unstubAllGlobals());

describe("a file saved from the API", () => {
  it("that the server refuses throws the server's own problem, not a made-up one", async () => {
    const problem = {
      type: "https://edge-oms.dev/problems/not-found",
      title: "Not found",
      status: 404,
      detail: "No such credit note",
      code: "NOT_FOUND",
      requestId: "req_1",
    };
    vi.stubGlobal(
      "fetch",
      async () =>
        new Response(JSON.stringify(problem), { status: 404, headers: { "content-type": "application/problem+json" } }),
    );
    const err = await saveFile("token", "/v1/credit-notes/cn_1.pdf", "cn.pdf").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiProblem);
    expect((err as ApiProblem).status).toBe(404);
    expect((err as ApiProblem).problem).toMatchObject({ code: "NOT_FOUND", detail: "No such credit note" });
  });
});
