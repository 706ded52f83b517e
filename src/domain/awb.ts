/** A carrier's air waybill format, as the `carriers` table keeps it. */
export type AwbFormat = { name: string; awbPattern: string; awbExample: string };

export const MAX_AWB_PATTERN_LENGTH = 200;

/**
 * Patterns are data an admin edits, so they are matched against the whole AWB whether or not
 * they are anchored. The AWB is at most 40 characters, which bounds the cost of a bad pattern.
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

/** A format an admin may save: the pattern compiles and its own example matches it. */
export function checkAwbFormat(format: AwbFormat): { path: string; message: string }[] {
  const compiled = compileAwbPattern(format.awbPattern);
  if (!compiled.ok) return [{ path: "awbPattern", message: compiled.message }];
  if (!compiled.regex.test(format.awbExample)) {
    return [{ path: "awbExample", message: `does not match ${format.awbPattern}` }];
  }
  return [];
}
