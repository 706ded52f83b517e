/**
 * The inventory bridge's request signature: `Bridge-Signature: t=<unix seconds>,v1=<hex>`, where
 * v1 is HMAC-SHA256 over `<t>.<raw body>` with the vendor's bridge secret. The timestamp is inside
 * what is signed, so an old request cannot be re-dated; a request is good for REPLAY_WINDOW_SECONDS
 * either side of its timestamp, and each signature is taken once.
 */
export const REPLAY_WINDOW_SECONDS = 300;

export type BridgeSignature = { timestamp: number; v1: string };

/** The header's parts, or null when it is missing or not of the documented shape. */
export function parseBridgeSignature(header: string | undefined): BridgeSignature | null {
  if (!header) return null;
  const parts = new Map(
    header.split(",").map((p) => {
      const i = p.indexOf("=");
      return [p.slice(0, i).trim(), p.slice(i + 1).trim()] as const;
    }),
  );
  const t = parts.get("t");
  const v1 = parts.get("v1")?.toLowerCase();
  if (!t || !/^\d{1,12}$/.test(t) || !v1 || !/^[0-9a-f]{64}$/.test(v1)) return null;
  return { timestamp: Number(t), v1 };
}

export function withinReplayWindow(timestamp: number, nowMs: number): boolean {
  return Math.abs(nowMs / 1000 - timestamp) <= REPLAY_WINDOW_SECONDS;
}

const bytes = (text: string) => new TextEncoder().encode(text);

async function hmacKey(secret: string, usage: "sign" | "verify") {
  return crypto.subtle.importKey("raw", bytes(secret), { name: "HMAC", hash: "SHA-256" }, false, [usage]);
}

/** Web Crypto's verify compares in constant time. */
export async function verifyBridgeSignature(secret: string, sig: BridgeSignature, body: string): Promise<boolean> {
  const mac = Uint8Array.from(sig.v1.match(/../g)!.map((h) => Number.parseInt(h, 16)));
  return crypto.subtle.verify("HMAC", await hmacKey(secret, "verify"), mac, bytes(`${sig.timestamp}.${body}`));
}

/** The header a sender puts on `body` at `timestamp` (unix seconds). */
export async function signBridgeRequest(secret: string, timestamp: number, body: string): Promise<string> {
  const mac = new Uint8Array(
    await crypto.subtle.sign("HMAC", await hmacKey(secret, "sign"), bytes(`${timestamp}.${body}`)),
  );
  return `t=${timestamp},v1=${[...mac].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}
