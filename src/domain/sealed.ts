/**
 * Secrets that must be read back (an HMAC key must be known to verify with it, so a hash cannot
 * stand in) are stored sealed: AES-256-GCM under a key derived from a Worker secret, a fresh
 * 96-bit nonce each time, and the record's own name as associated data so a sealed value copied
 * onto another record does not open.
 */
const bytes = (text: string) => new TextEncoder().encode(text);

function toBase64(b: Uint8Array): string {
  return btoa(String.fromCharCode(...b));
}

function fromBase64(s: string): Uint8Array {
  return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
}

async function sealingKey(master: string): Promise<CryptoKey> {
  const base = await crypto.subtle.importKey("raw", bytes(master), "HKDF", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: bytes("edge-oms sealed secrets v1") },
    base,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}

/** `v1.<nonce>.<ciphertext>`, base64. */
export async function seal(master: string, context: string, secret: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: bytes(context) },
    await sealingKey(master),
    bytes(secret),
  );
  return `v1.${toBase64(iv)}.${toBase64(new Uint8Array(data))}`;
}

/** The secret, or null when the value was sealed under another key or for another record. */
export async function unseal(master: string, context: string, sealed: string): Promise<string | null> {
  const [version, iv, data] = sealed.split(".");
  if (version !== "v1" || !iv || !data) return null;
  try {
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: fromBase64(iv), additionalData: bytes(context) },
      await sealingKey(master),
      fromBase64(data),
    );
    return new TextDecoder().decode(plain);
  } catch {
    return null;
  }
}
