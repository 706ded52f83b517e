import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ApiProblem } from "../../web/src/api";
import { FeedClient, type FeedStatus } from "../../web/src/live/feed-client";

/** The ticket endpoint's answer with this status, as `api.feedTicket` rejects with it. */
function answered(status: number) {
  return new ApiProblem(status, {
    type: "about:blank",
    title: "Refused",
    status,
    detail: "",
    code: `HTTP_${status}`,
    requestId: `req_fcr_${status}`,
  });
}

const clients: FeedClient[] = [];

beforeEach(() => {
  vi.useFakeTimers();
  vi.stubGlobal("window", { location: { href: "https://oms.test/" }, addEventListener() {}, removeEventListener() {} });
  vi.stubGlobal("navigator", { onLine: true });
  // No socket may open: every ticket here is refused or unanswered.
  vi.stubGlobal(
    "WebSocket",
    class {
      constructor() {
        throw new Error("no socket expected");
      }
    },
  );
});

afterEach(() => {
  for (const c of clients.splice(0)) c.close();
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

/** A dashboard's feed whose every ticket request fails with `error`, watched for five minutes. */
async function feedRefusedWith(error: unknown) {
  const statuses: FeedStatus[] = [];
  const ticket = vi.fn(() => Promise.reject(error));
  clients.push(
    new FeedClient("/v1/feeds/ops", ticket, { onEvent() {}, onReset() {}, onStatus: (s) => statuses.push(s) }),
  );
  await vi.advanceTimersByTimeAsync(5 * 60_000);
  return { statuses, asked: ticket.mock.calls.length };
}

describe("a feed whose ticket is refused", () => {
  it("for a role that may not open it (403) stops at No access, asking once", async () => {
    const { statuses, asked } = await feedRefusedWith(answered(403));
    expect(statuses).toEqual(["connecting", "no-access"]);
    expect(asked).toBe(1);
  });

  it("for a feed that is not there for this token (404) stops at No access, asking once", async () => {
    const { statuses, asked } = await feedRefusedWith(answered(404));
    expect(statuses).toEqual(["connecting", "no-access"]);
    expect(asked).toBe(1);
  });

  it("for a token the API no longer takes (401) stops at Signed out, asking once", async () => {
    const { statuses, asked } = await feedRefusedWith(answered(401));
    expect(statuses).toEqual(["connecting", "revoked"]);
    expect(asked).toBe(1);
  });

  it.each([
    ["rate limited", answered(429)],
    ["failing", answered(503)],
    ["unreachable", answered(0)],
  ])("by a server %s keeps asking, with backoff", async (_, error) => {
    const { statuses, asked } = await feedRefusedWith(error);
    expect(statuses.at(-1)).toBe("reconnecting");
    expect(statuses).not.toContain("no-access");
    expect(asked).toBeGreaterThan(3);
  });
});
