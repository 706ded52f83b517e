import { type FormEvent, useEffect, useRef, useState } from "react";
import { api } from "../../api";
import { setToken } from "../../auth";
import { ProblemBanner } from "../../components/ProblemBanner";
import { navigate } from "../../router";

/** The secret of an invite or sign-in link, from the page's #fragment (never sent to a server by the browser). */
function linkInHash(): { kind: "invite" | "sign-in"; secret: string } | null {
  const m = /^#(invite|sign-in)=([A-Za-z0-9_-]+)$/.exec(window.location.hash);
  return m ? { kind: m[1] as "invite" | "sign-in", secret: m[2]! } : null;
}

/**
 * Where a vendor goes once signed in: an approved vendor to its order queue, one still onboarding to
 * the wizard, which resumes where it left off. Unread (the read failed), to the vendor app's home,
 * which shows the wizard itself until the vendor is approved.
 */
export async function landingAfterSignIn(token: string, vendorId: string): Promise<string> {
  const ob = await api.onboarding(token, vendorId).catch(() => null);
  if (!ob) return "/vendor";
  return ob.state === "approved" ? "/vendor" : "/vendor/onboarding";
}

/**
 * Where invite and sign-in links land: redeems the link once for a vendor session in this browser
 * and goes on to the orders, or to the onboarding wizard while the vendor is not yet approved.
 */
export function Welcome() {
  const [error, setError] = useState<unknown>(null);
  const started = useRef(false);
  useEffect(() => {
    // Once per page load: React's development double effect must not spend a single-use link twice.
    if (started.current) return;
    started.current = true;
    const link = linkInHash();
    if (!link) return;
    // Out of the address bar and history before anything else: the link works once.
    window.history.replaceState(null, "", window.location.pathname);
    api.redeemVendorLink(link.kind, link.secret).then(async (s) => {
      setToken("vendor", s.token, true);
      navigate(await landingAfterSignIn(s.token, s.vendorId), { replace: true });
    }, setError);
  }, []);
  return (
    <div className="stack">
      <h1>Welcome</h1>
      {error ? (
        <>
          <ProblemBanner error={error} />
          <EmailSignIn />
        </>
      ) : (
        <p className="muted">Signing you in…</p>
      )}
    </div>
  );
}

/** Asks for a one-time sign-in link by email: how a vendor signs in on a new device. */
export function EmailSignIn() {
  const [email, setEmail] = useState("");
  const [sent, setSent] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      await api.requestSignInLink(email.trim());
      setSent(email.trim());
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section className="card signin">
      <h2>Sign in by email</h2>
      {sent ? (
        <p role="status">
          If <strong>{sent}</strong> has a vendor account, a sign-in link is on its way. It works once, for 15 minutes.
        </p>
      ) : (
        <form onSubmit={submit} className="stack">
          <label className="field">
            <span>Email</span>
            <input
              type="email"
              autoComplete="email"
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              required
            />
          </label>
          <button type="submit" className="button primary">
            Email me a sign-in link
          </button>
        </form>
      )}
      <ProblemBanner error={error} />
    </section>
  );
}
