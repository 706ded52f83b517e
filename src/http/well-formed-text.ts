/**
 * Where `value` holds text that is not well-formed Unicode, as a field path, if anywhere. JSON's
 * `\ud800` escape carries a lone surrogate that no UTF-8 byte can (a URL's or a text body's
 * invalid bytes decode to U+FFFD): D1 and every response encode text as UTF-8, so such a string
 * would be kept as U+FFFD, not as sent. Keys are text too.
 */
export function illFormedTextAt(value: unknown, path = ""): string | undefined {
  if (typeof value === "string") return value.isWellFormed() ? undefined : path || "(root)";
  if (typeof value !== "object" || value === null) return undefined;
  for (const [key, inner] of Object.entries(value)) {
    const at = path ? `${path}.${key}` : key;
    if (!key.isWellFormed()) return at;
    const found = illFormedTextAt(inner, at);
    if (found !== undefined) return found;
  }
  return undefined;
}
