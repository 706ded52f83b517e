import { useState } from "react";
import { api } from "../../api";
import { ProblemBanner } from "../../components/ProblemBanner";
import { UpdatedAt } from "../../components/Status";
import { formatTime, humanize } from "../../format";
import { useApi } from "../../use-api";

/**
 * The vendor's payout account: whether it can be paid and, if not, why; "Set up payouts" creates the
 * account at the provider if needed and opens the provider's onboarding, which returns here.
 */
export function Payouts({ token, vendorId }: { token: string; vendorId: string }) {
  const status = useApi((signal) => api.payoutAccount(token, vendorId, signal), [token, vendorId]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const returned = new URLSearchParams(window.location.search).get("onboarding");

  const setUp = async () => {
    setBusy(true);
    setError(null);
    try {
      const setup = await api.setUpPayouts(token, vendorId);
      // The simulator's link returns here at once; the provider's is its onboarding, which returns here after.
      window.location.assign(setup.onboardingUrl);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  const s = status.data;
  return (
    <section className="stack" aria-labelledby="payouts-heading">
      <h2 id="payouts-heading">Payouts</h2>
      <UpdatedAt at={status.loadedAt} loading={status.loading && !s} />
      <ProblemBanner error={status.error ?? error} />
      {returned === "expired" && (
        <p className="muted">The onboarding link expired: set up payouts again for a new one.</p>
      )}
      {s && (
        <div className="card stack">
          <p>
            <span className={`status status-${s.ready ? "good" : "wait"}`}>
              {s.ready ? "Ready to be paid" : "Not ready to be paid"}
            </span>
          </p>
          {!s.ready && (
            <>
              <p className="small">Earnings still accrue; they are paid once the account is ready.</p>
              <ul className="small" aria-label="Why payouts cannot be made yet">
                {s.notReadyBecause.map((why) => (
                  <li key={why}>{why}</li>
                ))}
              </ul>
            </>
          )}
          <dl className="small">
            <dt>Provider</dt>
            <dd>{humanize(s.provider)}</dd>
            {s.accountId && (
              <>
                <dt>Account</dt>
                <dd>
                  <code>{s.accountId}</code>
                </dd>
              </>
            )}
            {s.updatedAt && (
              <>
                <dt>Last reported</dt>
                <dd>{formatTime(s.updatedAt)}</dd>
              </>
            )}
          </dl>
          <div className="row wrap">
            <button type="button" onClick={() => void setUp()} disabled={busy}>
              {busy
                ? "Opening…"
                : s.accountId
                  ? s.ready
                    ? "Update payout details"
                    : "Continue payout set-up"
                  : "Set up payouts"}
            </button>
          </div>
        </div>
      )}
    </section>
  );
}
