/** A carrier's air waybill format, as the `carriers` table keeps it. */
export type AwbFormat = { name: string; awbPattern: string; awbExample: string };

export const MAX_AWB_PATTERN_LENGTH = 200;
/**
 * The most places a pattern may choose how to match (`|`, and `*`, `+`, `?`, `{m,n}` of a varying
 * count): a backtracking engine may try every combination of them, up to 41 ways each on a 40-character
 * AWB, so four keep a failing match to a few million steps (milliseconds).
 */
export const MAX_AWB_PATTERN_CHOICES = 4;

/** `*`, `+`, `?` or a well-formed `{m}`, `{m,}`, `{m,n}` at `at` (anything else there is a literal), and its counts. */
function quantifierAt(pattern: string, at: number): { length: number; min: number; max: number } | null {
  const c = pattern[at];
  if (c === "*") return { length: 1, min: 0, max: Number.POSITIVE_INFINITY };
  if (c === "+") return { length: 1, min: 1, max: Number.POSITIVE_INFINITY };
  if (c === "?") return { length: 1, min: 0, max: 1 };
  const braces = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(at));
  if (!braces) return null;
  const min = Number(braces[1]);
  const max = braces[2] === undefined ? min : braces[3] ? Number(braces[3]) : Number.POSITIVE_INFINITY;
  return { length: braces[0].length, min, max };
}

/**
 * Why matching a pattern could take exponential or high-polynomial time, or null. JavaScript's regex
 * engine backtracks, so `(\d+)+X` against 40 digits runs until the Worker's CPU limit: a repeated
 * group holding `|` or a quantifier of a varying count is refused, and so are more than MAX_AWB_PATTERN_CHOICES choices
 * in all (`(1|1)(1|1)…` or `\d*\d*\d*…` blow up without any nesting). Conservative: it refuses some
 * harmless patterns, whose carriers can write them more plainly.
 */
function costlyPattern(pattern: string): string | null {
  const groups: { chooses: boolean }[] = [{ chooses: false }];
  // The group that ended just before, whose body a quantifier here would repeat.
  let closed: { chooses: boolean } | null = null;
  let choices = 0;
  let opened = false;
  for (let i = 0; i < pattern.length; ) {
    const c = pattern[i]!;
    const top = groups[groups.length - 1]!;
    // `(?` opens a group of a kind (`(?:`, `(?=`, `(?<name>`): that `?` repeats nothing.
    const q = opened && c === "?" ? null : quantifierAt(pattern, i);
    opened = false;
    const repeated = closed;
    closed = null;
    if (q) {
      if (repeated?.chooses && q.max > 1) return "a repeated group may not hold |, *, +, ? or {m,n}";
      if (q.max !== q.min) {
        choices++;
        top.chooses = true;
      }
      // A lazy quantifier's `?` is part of it.
      i += q.length + (pattern[i + q.length] === "?" ? 1 : 0);
    } else if (c === "\\") {
      i += 2;
    } else if (c === "[") {
      i = classEnd(pattern, i);
    } else if (c === "(") {
      groups.push({ chooses: false });
      opened = true;
      i++;
    } else if (c === ")") {
      closed = groups.pop()!;
      if (closed.chooses) groups[groups.length - 1]!.chooses = true;
      i++;
    } else {
      if (c === "|") {
        choices++;
        top.chooses = true;
      }
      i++;
    }
  }
  return choices > MAX_AWB_PATTERN_CHOICES ? `at most ${MAX_AWB_PATTERN_CHOICES} of |, *, +, ? and {m,n} in all` : null;
}

/** The index after the character class opening at `at` (a `]` first in it closes it, as JavaScript reads it). */
function classEnd(pattern: string, at: number): number {
  let i = at + 1;
  while (i < pattern.length && pattern[i] !== "]") i += pattern[i] === "\\" ? 2 : 1;
  return i + 1;
}

/**
 * Patterns are data an admin edits, so they are matched against the whole AWB whether or not
 * they are anchored. The AWB is at most 40 characters and a pattern saved may not backtrack its
 * way through many combinations of it (`costlyPattern`, checked on save), which bounds the cost of
 * a bad pattern. One saved before that rule still runs, so its carrier's dispatches go on.
 */
export function compileAwbPattern(pattern: string): { ok: true; regex: RegExp } | { ok: false; message: string } {
  if (pattern.length === 0 || pattern.length > MAX_AWB_PATTERN_LENGTH) {
    return { ok: false, message: `must be 1 to ${MAX_AWB_PATTERN_LENGTH} characters` };
  }
  try {
    return { ok: true, regex: new RegExp(`^(?:${pattern})$`) };
  } catch (e) {
    return { ok: false, message: `not a regular expression: ${(e as Error).message}` };
  }
}

/** Null when `awb` is one of the carrier's, else the message a field error carries. */
export function checkAwb(carrier: AwbFormat, awb: string): string | null {
  const compiled = compileAwbPattern(carrier.awbPattern);
  if (!compiled.ok) return `${carrier.name} has no usable AWB pattern; ask an admin to fix it`;
  return compiled.regex.test(awb) ? null : `must match ${carrier.awbPattern}, e.g. ${carrier.awbExample}`;
}

/**
 * A format an admin may save: the pattern compiles, is cheap to match, and its own example matches
 * it. A pattern kept from before (`keptPattern`, saved before the cost rule) is not judged on its
 * cost again, so its carrier can still be renamed or switched off.
 */
export function checkAwbFormat(format: AwbFormat, keptPattern?: string): { path: string; message: string }[] {
  const compiled = compileAwbPattern(format.awbPattern);
  if (!compiled.ok) return [{ path: "awbPattern", message: compiled.message }];
  const costly = format.awbPattern === keptPattern ? null : costlyPattern(format.awbPattern);
  if (costly) return [{ path: "awbPattern", message: `too costly to match: ${costly}` }];
  if (!compiled.regex.test(format.awbExample)) {
    return [{ path: "awbExample", message: `does not match ${format.awbPattern}` }];
  }
  return [];
}
