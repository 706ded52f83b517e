import { type FormEvent, type ReactNode, useState } from "react";
import { api } from "../api";
import { isSession, type Slot, setToken } from "../auth";
import { forgetShopper } from "../shopper-data";

const GUEST_SIGN_OUT =
  "Sign out of this browser? Your orders (tracking, cancelling, credit notes) can be opened again only with this sign-in's token.";

/** A bearer-token sign-in; the token stays in this browser's localStorage for this app only. */
export function SignIn({ slot, who, children }: { slot: Slot; who: string; children?: ReactNode }) {
  const [value, setValue] = useState("");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const token = value.trim();
    if (token) setToken(slot, token);
  };
  return (
    <section className="card signin">
      <h2>Sign in</h2>
      <p>Paste {who} bearer token.</p>
      <form onSubmit={submit} className="stack">
        <label className="field">
          <span>Token</span>
          <input
            type="password"
            name="token"
            autoComplete="off"
            spellCheck={false}
            placeholder="oms_…"
            value={value}
            onChange={(e) => setValue(e.target.value)}
            required
          />
        </label>
        <button type="submit" className="button primary">
          Sign in
        </button>
      </form>
      <p className="muted small">
        Running locally? <code>bun run dev</code> prints demo tokens for every role (and writes them to{" "}
        <code>demo.json</code>).
      </p>
      {children}
    </section>
  );
}

/**
 * Signs the slot out of this browser. A storefront's shopper leaves nothing for the next person at a
 * shared device: the cart, the name and address typed at checkout and the last order (with its
 * payment's client secret) go with the token.
 */
export async function signOut(slot: Slot, token: string) {
  if (slot === "storefront" && !window.confirm(GUEST_SIGN_OUT)) return;
  if (isSession(slot)) await api.signOut(token).catch(() => undefined);
  if (slot === "storefront") forgetShopper();
  setToken(slot, null);
}

/**
 * Who is signed in here, and "Sign out": a session this browser was given (a vendor's) is revoked on
 * the server too; a pasted token is only forgotten here. The browser forgets it either way, even
 * when the server cannot be reached. A storefront guest has no email or phone to sign in with
 * again: its token is the only way back to its orders, so it is asked first.
 */
export function SignedInAs({ slot, token, label }: { slot: Slot; token: string; label: string }) {
  return (
    <div className="signed-in">
      <span>
        {label} <code title="the end of your token">…{token.slice(-4)}</code>
      </span>
      <button type="button" className="link-button" onClick={() => void signOut(slot, token)}>
        Sign out
      </button>
    </div>
  );
}
