import { useCallback, useSyncExternalStore } from "react";

/**
 * One token per app, so a single browser can be the shopper, ops and a vendor at once
 * (the end-to-end demo needs all three side by side).
 */
export type Slot = "storefront" | "ops" | "vendor";

const keyOf = (slot: Slot) => `oms.token.${slot}`;
const sessionKeyOf = (slot: Slot) => `oms.session.${slot}`;
const listeners = new Set<() => void>();

/**
 * What this page keeps where the browser will not store anything (site data blocked, some in-app
 * browsers): the session then lasts as long as the page, but it lasts. Without it a guest's token
 * was gone the moment checkout made it, and the order it placed could not be paid.
 */
const inPage = new Map<string, string>();

function read(slot: Slot): string | null {
  try {
    return localStorage.getItem(keyOf(slot)) ?? inPage.get(keyOf(slot)) ?? null;
  } catch {
    return inPage.get(keyOf(slot)) ?? null;
  }
}

function keep(key: string, value: string | null) {
  if (value === null) inPage.delete(key);
  else inPage.set(key, value);
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
    // Stored: storage holds the one copy, so a sign-out in another tab is not outlived here.
    inPage.delete(key);
  } catch {
    // Storage is disabled: the page's copy stands.
  }
}

/**
 * `session`: the token is a session this browser was given (a vendor's, from an emailed link), so
 * signing out revokes it; a pasted token may be in use elsewhere and is only forgotten here.
 */
export function setToken(slot: Slot, token: string | null, session = false) {
  keep(keyOf(slot), token);
  keep(sessionKeyOf(slot), token && session ? "1" : null);
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
    return (localStorage.getItem(sessionKeyOf(slot)) ?? inPage.get(sessionKeyOf(slot))) === "1";
  } catch {
    return inPage.get(sessionKeyOf(slot)) === "1";
  }
}

export function useToken(slot: Slot): [string | null, (token: string | null) => void] {
  const token = useSyncExternalStore(subscribe, () => read(slot));
  const set = useCallback((t: string | null) => setToken(slot, t), [slot]);
  return [token, set];
}
