import { normalizeCountry, normalizePostalCode, postalCodeKey } from "./geo";

export type PostalCodeRecord = { country: string; code: string; lat: number; lng: number; place: string | null };
export type RejectedLine = { line: number; message: string };

export type PostalCodeCsv =
  | { ok: true; rows: PostalCodeRecord[]; rejected: RejectedLine[] }
  | { ok: false; message: string };

const REQUIRED = ["country", "code", "lat", "lng"] as const;
const COLUMNS = new Set<string>([...REQUIRED, "place"]);
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;
const CODE_KEY = /^[A-Z0-9]{1,16}$/;
const PLACE_MAX = 120;

type CsvRecord = { line: number; fields: string[] };

/**
 * RFC 4180 records with the physical line each starts on (1-based, header included):
 * quoted fields may hold commas, doubled quotes and line breaks; CRLF or LF; a BOM is
 * dropped; blank lines are skipped. An unterminated quote ends the input as an error.
 */
function records(text: string): { records: CsvRecord[]; error?: RejectedLine } {
  const out: CsvRecord[] = [];
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let line = 1;
  let i = 0;
  while (i < src.length) {
    const start = line;
    const fields: string[] = [];
    let field = "";
    let quoted = false;
    let atFieldStart = true;
    for (;;) {
      if (i >= src.length) {
        if (quoted) return { records: out, error: { line: start, message: "unterminated quoted field" } };
        fields.push(field);
        break;
      }
      const ch = src[i]!;
      if (quoted) {
        if (ch === '"') {
          if (src[i + 1] === '"') {
            field += '"';
            i += 2;
          } else {
            quoted = false;
            i += 1;
          }
        } else {
          if (ch === "\n") line += 1;
          field += ch;
          i += 1;
        }
        continue;
      }
      if (ch === '"' && atFieldStart) {
        quoted = true;
        atFieldStart = false;
        i += 1;
      } else if (ch === ",") {
        fields.push(field);
        field = "";
        atFieldStart = true;
        i += 1;
      } else if (ch === "\n" || ch === "\r") {
        fields.push(field);
        i += ch === "\r" && src[i + 1] === "\n" ? 2 : 1;
        line += 1;
        break;
      } else {
        field += ch;
        atFieldStart = false;
        i += 1;
      }
    }
    if (!(fields.length === 1 && fields[0]!.trim() === "")) out.push({ line: start, fields });
  }
  return { records: out };
}

function coordinate(raw: string, name: "lat" | "lng", limit: number): number | string {
  const v = raw.trim();
  if (!NUMBER.test(v)) return `${name} must be a decimal number, got "${v}"`;
  const n = Number(v);
  if (Math.abs(n) > limit) return `${name} must be between -${limit} and ${limit}, got ${v}`;
  return n;
}

/**
 * Reads a postal-code CSV (header row, columns country,code,lat,lng and optionally place, in
 * any order). A bad header fails the whole file; a bad row is reported by line and skipped,
 * so one typo does not block a national table. A code seen twice (by postalCodeKey, in any
 * spelling) is refused the second time. Codes keep their spelling here; the table stores their key.
 */
export function readPostalCodeCsv(text: string): PostalCodeCsv {
  const parsed = records(text);
  const [header, ...rows] = parsed.records;
  if (!header) {
    return { ok: false, message: parsed.error?.message ?? "The CSV is empty; the first row must be a header" };
  }
  const names = header.fields.map((f) => f.trim().toLowerCase());
  const unknown = names.filter((n) => !COLUMNS.has(n));
  if (unknown.length > 0) return { ok: false, message: `Unknown column(s) in the header: ${unknown.join(", ")}` };
  const missing = REQUIRED.filter((n) => !names.includes(n));
  if (missing.length > 0) return { ok: false, message: `Missing column(s) in the header: ${missing.join(", ")}` };
  if (new Set(names).size !== names.length) return { ok: false, message: "A column appears twice in the header" };
  const at = (name: string) => names.indexOf(name);

  const out: PostalCodeRecord[] = [];
  const rejected: RejectedLine[] = [];
  const seen = new Map<string, number>();
  for (const { line, fields } of rows) {
    if (fields.length !== names.length) {
      rejected.push({ line, message: `expected ${names.length} fields, found ${fields.length}` });
      continue;
    }
    const problems: string[] = [];
    const country = normalizeCountry(fields[at("country")]!);
    if (!/^[A-Z]{2}$/.test(country)) problems.push(`country must be an ISO 3166-1 alpha-2 code, got "${country}"`);
    const code = normalizePostalCode(fields[at("code")]!);
    const codeKey = postalCodeKey(code);
    if (!CODE_KEY.test(codeKey)) {
      problems.push(`code must be 1 to 16 letters or digits, besides spaces and dashes, got "${code}"`);
    }
    const lat = coordinate(fields[at("lat")]!, "lat", 90);
    if (typeof lat === "string") problems.push(lat);
    const lng = coordinate(fields[at("lng")]!, "lng", 180);
    if (typeof lng === "string") problems.push(lng);
    const place = at("place") >= 0 ? fields[at("place")]!.trim() : "";
    if (place.length > PLACE_MAX) problems.push(`place must be at most ${PLACE_MAX} characters`);
    if (problems.length > 0 || typeof lat === "string" || typeof lng === "string") {
      rejected.push({ line, message: problems.join("; ") });
      continue;
    }
    const key = `${country} ${codeKey}`;
    const first = seen.get(key);
    if (first !== undefined) {
      rejected.push({ line, message: `${key} already appears on line ${first}` });
      continue;
    }
    seen.set(key, line);
    out.push({ country, code, lat, lng, place: place || null });
  }
  if (parsed.error) rejected.push(parsed.error);
  return { ok: true, rows: out, rejected };
}
