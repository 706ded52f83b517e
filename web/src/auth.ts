import { useCallback, useSyncExternalStore } from "react";

/**
 * One token per app, so a single browser can be the shopper, ops and a vendor at once
 * (the end-to-end demo needs all three side by side).
 */
export type Slot = "storefront" | "ops" | "vendor";

const keyOf = (slot: Slot) => `oms.token.${slot}`;
const listeners = new Set<() => void>();

function read(slot: Slot): string | null {
  try {
    return localStorage.getItem(keyOf(slot));
  } catch {
    return null;
  }
}

const sessionKeyOf = (slot: Slot) => `oms.session.${slot}`;

/**
 * `session`: the token is a session this browser was given (a vendor's, from an emailed link), so
 * signing out revokes it; a pasted token may be in use elsewhere and is only forgotten here.
 */
export function setToken(slot: Slot, token: string | null, session = false) {
  try {
    if (token) localStorage.setItem(keyOf(slot), token);
    else localStorage.removeItem(keyOf(slot));
    if (token && session) localStorage.setItem(sessionKeyOf(slot), "1");
    else localStorage.removeItem(sessionKeyOf(slot));
  } catch {
    // Storage can be disabled (private mode); the session then lasts as long as the page.
  }
  for (const l of listeners) l();
}

function subscribe(listener: () => void) {
  listeners.add(listener);
  const onStorage = (e: StorageEvent) => {
    if (e.key === null || e.key.startsWith("oms.token.")) listener();
  };
  window.addEventListener("storage", onStorage);
  return () => {
    listeners.delete(listener);
    window.removeEventListener("storage", onStorage);
  };
}

/** Whether the slot's token is a session this browser was given (see `setToken`). */
export function isSession(slot: Slot): boolean {
  try {
    return localStorage.getItem(sessionKeyOf(slot)) === "1";
  } catch {
    return false;
  }
}

export function useToken(slot: Slot): [string | null, (token: string | null) => void] {
  const token = useSyncExternalStore(subscribe, () => read(slot));
  const set = useCallback((t: string | null) => setToken(slot, t), [slot]);
  return [token, set];
}
