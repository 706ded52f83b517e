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

export function setToken(slot: Slot, token: string | null) {
  try {
    if (token) localStorage.setItem(keyOf(slot), token);
    else localStorage.removeItem(keyOf(slot));
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

export function useToken(slot: Slot): [string | null, (token: string | null) => void] {
  const token = useSyncExternalStore(subscribe, () => read(slot));
  const set = useCallback((t: string | null) => setToken(slot, t), [slot]);
  return [token, set];
}
