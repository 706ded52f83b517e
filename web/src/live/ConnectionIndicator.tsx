import type { FeedStatus } from "./feed-client";

const LABEL: Record<FeedStatus, string> = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  offline: "Offline",
  revoked: "Signed out: token no longer valid",
  "no-access": "No access to this feed",
};

/** Always on screen where live figures are: whether what you see is still being kept up to date. */
export function ConnectionIndicator({ status }: { status: FeedStatus }) {
  return (
    <span className={`connection connection-${status}`} role="status" aria-live="polite" title="Live updates">
      <span className="dot" aria-hidden="true" />
      {LABEL[status]}
    </span>
  );
}
