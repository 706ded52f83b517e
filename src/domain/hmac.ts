function hexToBytes(hex: string): Uint8Array | null {
  if (!/^(?:[0-9a-f]{2})+$/i.test(hex)) return null;
  return Uint8Array.from(hex.match(/../g)!.map((h) => Number.parseInt(h, 16)));
}

/**
 * Checks `sha256=<hex>` over the exact body with Web Crypto's constant-time HMAC verify. Bytes as
 * received are best: a body that is not UTF-8 would not survive a decode and encode.
 */
export async function verifyHmacSha256(
  secret: string,
  body: string | ArrayBuffer,
  header: string | undefined,
): Promise<boolean> {
  const signature = header?.startsWith("sha256=") ? hexToBytes(header.slice(7)) : null;
  if (!signature) return false;
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["verify"],
  );
  return crypto.subtle.verify("HMAC", key, signature, typeof body === "string" ? new TextEncoder().encode(body) : body);
}

export async function signHmacSha256(secret: string, body: string | Uint8Array): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, bytes));
  return `sha256=${[...mac].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}
