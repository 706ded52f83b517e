/** What a request without an address counts as: one shared bucket, never a free pass. */
export const UNKNOWN_ADDRESS = "unknown";

/**
 * The key limits count a client under. An IPv4 address is itself; an IPv6 address is its /64,
 * since one subscriber is routinely given a whole /64 and could otherwise rotate addresses freely.
 */
export function addressKey(raw: string | undefined): string {
  const ip = raw?.trim().toLowerCase() ?? "";
  if (ip === "") return UNKNOWN_ADDRESS;
  const v4 = /^(?:::ffff:)?(\d{1,3}(?:\.\d{1,3}){3})$/.exec(ip);
  if (v4) return v4[1]!;
  if (!/^[0-9a-f:.]+$/.test(ip) || !ip.includes(":")) return UNKNOWN_ADDRESS;
  const [head = "", tail = ""] = ip.split("::", 2);
  const left = head === "" ? [] : head.split(":");
  const right = tail === "" ? [] : tail.split(":");
  const groups = ip.includes("::")
    ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g || "0", 16).toString(16))
    .join(":")}::/64`;
}
