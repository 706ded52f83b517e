/** Prefixed random ids: readable in logs, unguessable across principals. */
export function newId(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  let s = "";
  for (const b of bytes) s += b.toString(36).padStart(2, "0");
  return `${prefix}_${s}`;
}
