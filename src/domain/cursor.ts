/** Opaque keyset cursors: the last row's sort key, base64url-encoded JSON. */
export function encodeCursor(key: readonly (string | number)[]): string {
  return btoa(JSON.stringify(key)).replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "");
}

export function decodeCursor(cursor: string): (string | number)[] | null {
  try {
    const value: unknown = JSON.parse(atob(cursor.replaceAll("-", "+").replaceAll("_", "/")));
    if (Array.isArray(value) && value.every((v) => typeof v === "string" || typeof v === "number")) return value;
    return null;
  } catch {
    return null;
  }
}
