import { CreateInvite } from "@contracts/onboarding";
import { type FormEvent, useState } from "react";
import { api } from "../../api";
import { ProblemBanner } from "../../components/ProblemBanner";
import { ShowMore } from "../../components/ShowMore";
import { formatTime } from "../../format";
import type { Onboarding } from "../../types";
import { useApi } from "../../use-api";

/** Vendors shown at first, and each "Show more" adds. */
const REVIEW_PAGE = 50;

/** Ops' side of onboarding: invite a vendor by email, and approve or send back the submitted ones. */
export function OpsVendors({ token }: { token: string }) {
  const [tick, setTick] = useState(0);
  // More rows rather than the next page: a decision takes its vendor off the list, and the reload
  // that follows reads the first rows afresh, so none shifts past a page's end unseen.
  const [shown, setShown] = useState(REVIEW_PAGE);
  const submitted = useApi((signal) => api.onboardings(token, "submitted", shown, signal), [token, shown], tick);
  return (
    <div className="stack">
      <InviteVendor token={token} />
      <section className="card stack">
        <h2>Waiting for review</h2>
        <ProblemBanner error={submitted.error} />
        {submitted.data?.items.length === 0 && <p className="muted">No vendor is waiting.</p>}
        <ul className="cards">
          {submitted.data?.items.map((o) => (
            <Review key={o.vendorId} token={token} ob={o} decided={() => setTick((t) => t + 1)} />
          ))}
        </ul>
        <ShowMore list={submitted} step={REVIEW_PAGE} show={setShown} />
      </section>
    </div>
  );
}

function InviteVendor({ token }: { token: string }) {
  const [email, setEmail] = useState("");
  const [businessName, setName] = useState("");
  const [created, setCreated] = useState<{ email: string; link: string; expiresAt: string } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const body = { email: email.trim(), ...(businessName.trim() ? { businessName: businessName.trim() } : {}) };
    const checked = CreateInvite.safeParse(body);
    if (!checked.success) {
      setError(new Error(checked.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")));
      return;
    }
    try {
      setCreated(await api.inviteVendor(token, body));
      setEmail("");
      setName("");
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form className="card stack" onSubmit={submit} aria-label="Invite a vendor">
      <h2>Invite a vendor</h2>
      <label className="field">
        <span>Vendor email</span>
        <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} required />
      </label>
      <label className="field">
        <span>Business name (optional)</span>
        <input value={businessName} onChange={(e) => setName(e.target.value)} />
      </label>
      <button type="submit" className="button primary">
        Create invite link
      </button>
      <ProblemBanner error={error} />
      {created && (
        <div className="notice" role="status">
          <p>
            Send this link to <strong>{created.email}</strong>. It works once, until {formatTime(created.expiresAt)},
            and is shown only now.
          </p>
          <input readOnly aria-label="Invite link" value={created.link} onFocus={(e) => e.target.select()} />
        </div>
      )}
    </form>
  );
}

function Review({ token, ob, decided }: { token: string; ob: Onboarding; decided: () => void }) {
  const [reason, setReason] = useState("");
  const [error, setError] = useState<unknown>(null);
  const decide = async (body: { decision: "approve" } | { decision: "reject"; reason: string }) => {
    setError(null);
    try {
      await api.decideOnboarding(token, ob.vendorId, body);
      decided();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <li className="card stack">
      <strong>{ob.name}</strong>
      <p className="small">
        {ob.email} · {ob.warehouses} warehouse(s) · {ob.products} product(s)
        {ob.submittedAt && <> · submitted {formatTime(ob.submittedAt)}</>}
      </p>
      <div className="row wrap">
        <button type="button" className="button primary" onClick={() => void decide({ decision: "approve" })}>
          Approve {ob.name}
        </button>
        <input
          aria-label={`Reason to send ${ob.name} back`}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
        />
        <button
          type="button"
          className="button"
          disabled={reason.trim() === ""}
          onClick={() => void decide({ decision: "reject", reason: reason.trim() })}
        >
          Send back
        </button>
      </div>
      <ProblemBanner error={error} />
    </li>
  );
}
