import { SELF } from "cloudflare:test";

/**
 * Hostile inputs derived from the published OpenAPI document: every operation, its parameters and
 * its JSON body, walked field by field. Everything here is deterministic: the same document gives
 * the same requests in the same order.
 */

export type Schema = Record<string, any>;
export type OpenApi = {
  paths: Record<string, Record<string, Schema>>;
  components: { schemas: Record<string, Schema> };
};
export type Param = { in: "path" | "query" | "header"; name: string; schema: Schema; required: boolean };
export type Operation = {
  method: string;
  path: string;
  roles: string[];
  params: Param[];
  /** Media types of the request body as documented; empty when none is. */
  bodyTypes: string[];
  jsonBody?: Schema;
};

const METHODS = ["get", "put", "post", "delete", "patch"];

export function operations(doc: OpenApi): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, op]) => {
        const content: Record<string, { schema: Schema }> = op.requestBody?.content ?? {};
        return {
          method: method.toUpperCase(),
          path,
          roles: op["x-roles"] as string[],
          params: (op.parameters ?? []) as Param[],
          bodyTypes: Object.keys(content),
          jsonBody: content["application/json"]?.schema,
        };
      }),
  );
}

/** The schema itself with `$ref` followed and `allOf` merged. */
export function resolve(doc: OpenApi, schema: Schema): Schema {
  if (schema.$ref) return resolve(doc, doc.components.schemas[String(schema.$ref).split("/").pop()!]!);
  if (schema.allOf) {
    const merged: Schema = { properties: {}, required: [] };
    for (const part of (schema.allOf as Schema[]).map((s) => resolve(doc, s))) {
      Object.assign(merged, { ...part, properties: merged.properties, required: merged.required });
      Object.assign(merged.properties, part.properties);
      merged.required.push(...(part.required ?? []));
    }
    return merged;
  }
  return schema;
}

export type Kind = "string" | "number" | "integer" | "boolean" | "array" | "object" | "unknown";

export function kindOf(schema: Schema): Kind {
  const types = ([] as string[]).concat(schema.type ?? []).filter((t) => t !== "null");
  const t = types[0] ?? (schema.properties ? "object" : schema.items ? "array" : "unknown");
  return t as Kind;
}

// Values for the patterns the contract uses, where the document gives no example.
const PATTERN_SAMPLES: Record<string, string> = {
  "^[A-Z]{3}$": "INR",
  "^[A-Z]{2}$": "IN",
  "^[A-Za-z]{2}$": "IN",
  "^[a-z0-9]{1,24}$": "hostile",
  "^[A-Za-z0-9_-]{1,64}$": "acct_hostile",
  "^[0-9A-Za-z._-]{1,64}$": "8901234567890",
  "^[A-Za-z0-9][A-Za-z0-9 -]{0,15}$": "560034",
  "^[a-z0-9][a-z0-9_-]{1,31}$": "delhivery",
};

const clamp = (n: number, schema: Schema) =>
  Math.min(Math.max(n, schema.minimum ?? Number.NEGATIVE_INFINITY), schema.maximum ?? Number.POSITIVE_INFINITY);

/**
 * A plausible value: required properties only, real ids where a property names one, the smallest
 * useful number (1 clamped into range, so a bench or batch size never asks for much work).
 */
export function sample(doc: OpenApi, raw: Schema, ids: Record<string, string>, name = ""): unknown {
  const schema = resolve(doc, raw);
  if (name in ids) return ids[name];
  if (schema.enum) return schema.enum[0];
  const kind = kindOf(schema);
  if (kind === "object") {
    const out: Record<string, unknown> = {};
    for (const key of (schema.required ?? []) as string[]) out[key] = sample(doc, schema.properties[key], ids, key);
    return out;
  }
  if (kind === "array") {
    return Array.from({ length: Math.max(1, schema.minItems ?? 1) }, () => sample(doc, schema.items ?? {}, ids));
  }
  if (kind === "integer" || kind === "number") return clamp(1, schema);
  if (kind === "boolean") return true;
  if (schema.example !== undefined) return schema.example;
  if (schema.format === "date-time") return new Date().toISOString().replace(/\.\d+Z$/, "Z");
  if (schema.format === "email") return "hostile@example.com";
  if (schema.pattern && PATTERN_SAMPLES[schema.pattern]) return PATTERN_SAMPLES[schema.pattern];
  return "hostile".padEnd(schema.minLength ?? 1, "x");
}

export type Node = { path: (string | number)[]; schema: Schema; kind: Kind; required: boolean };

/** Every property of a body schema, optional ones included, arrays entered at their first item. */
export function nodes(doc: OpenApi, raw: Schema, path: (string | number)[] = [], required = true, depth = 0): Node[] {
  const schema = resolve(doc, raw);
  const kind = kindOf(schema);
  const here: Node[] = path.length > 0 ? [{ path, schema, kind, required }] : [];
  if (depth > 4) return here;
  if (kind === "object") {
    const needed = new Set<string>(schema.required ?? []);
    return here.concat(
      Object.entries((schema.properties ?? {}) as Record<string, Schema>).flatMap(([key, s]) =>
        nodes(doc, s, [...path, key], needed.has(key), depth + 1),
      ),
    );
  }
  if (kind === "array" && schema.items) return here.concat(nodes(doc, schema.items, [...path, 0], true, depth + 1));
  return here;
}

/** A copy of `value` with the given path set (created where absent), or removed for `undefined`. */
export function setAt(value: unknown, path: (string | number)[], v: unknown): unknown {
  if (path.length === 0) return v;
  const [head, ...rest] = path;
  if (typeof head === "number") {
    const arr = Array.isArray(value) ? [...value] : [];
    arr[head] = setAt(arr[head], rest, v);
    return arr;
  }
  const obj: Record<string, unknown> =
    value && typeof value === "object" && !Array.isArray(value) ? { ...(value as object) } : {};
  const next = setAt(obj[head!], rest, v);
  if (next === undefined) delete obj[head!];
  else obj[head!] = next;
  return obj;
}

/** A JSON literal that JSON.stringify cannot write (1e400, integers past 2^53 as digits). */
export class RawJson {
  constructor(readonly text: string) {}
}

export function toJson(body: unknown): string {
  let raw: string | undefined;
  const text = JSON.stringify(body, (_k, v) => {
    if (v instanceof RawJson) {
      raw = v.text;
      return "@@raw@@";
    }
    return v;
  });
  return raw === undefined ? text : text.replace('"@@raw@@"', raw);
}

const LONG = "a".repeat(10_000);

export const ODD_STRINGS: [string, string][] = [
  ["10k chars", LONG],
  ["unicode", "ünïcødé 🦄 \u202eevil\u202c ﷽ \u0301"],
  ["lone surrogate", "\ud800x"],
  ["NUL", "a\u0000b"],
  ["SQL", "' OR 1=1; DROP TABLE orders; --"],
  ["path", "../../etc/passwd"],
  ["%00", "%00"],
  ["__proto__", "__proto__"],
  ["empty", ""],
  ["blank", "   "],
];

export const ODD_NUMBERS: [string, unknown][] = [
  ["1e308", 1e308],
  ["-1e308", -1e308],
  ["-1", -1],
  ["2^53+2", 2 ** 53 + 2],
  ["0.5", 0.5],
  ["1e400", new RawJson("1e400")],
  ["30 digits", new RawJson("123456789012345678901234567890")],
];

export const WRONG_TYPES: Record<Kind, [string, unknown][]> = {
  string: [
    ["number", 0],
    ["true", true],
    ["null", null],
    ["object", {}],
    ["array", []],
  ],
  number: [
    ["string", "1"],
    ["true", true],
    ["null", null],
    ["object", {}],
    ["array", []],
  ],
  integer: [
    ["string", "1"],
    ["true", true],
    ["null", null],
    ["object", {}],
  ],
  boolean: [
    ["string", "true"],
    ["number", 1],
    ["null", null],
  ],
  array: [
    ["object", {}],
    ["string", "x"],
    ["null", null],
  ],
  object: [
    ["array", []],
    ["string", "x"],
    ["null", null],
    ["number", 1],
  ],
  unknown: [["null", null]],
};

/** Whole bodies that are not what any route expects, sent as application/json unless said. */
export const MALFORMED_BODIES: [string, string | Uint8Array, string?][] = [
  ["truncated", "{"],
  ["half a member", '{"a":'],
  ["trailing comma", '{"a":1,}'],
  ["null", "null"],
  ["array", "[]"],
  ["string", '"x"'],
  ["1e999", "1e999"],
  ["__proto__", '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}'],
  ["10k-deep nesting", `${"[".repeat(10_000)}${"]".repeat(10_000)}`],
  ["invalid UTF-8", new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])],
  ["JSON as text/plain", "{}", "text/plain"],
];

/** Path segments, already as they appear in the URL. */
export const ODD_IDS: [string, string][] = [
  ["10k chars", LONG],
  ["..", ".."],
  ["%00", "%00"],
  ["%2e%2e%2f", "%2e%2e%2fadmin"],
  ["bad escape", "%ZZ"],
  ["unicode", encodeURIComponent("ünï😀")],
  ["constructor", "constructor"],
  ["__proto__", "__proto__"],
  ["SQL", encodeURIComponent("' OR 1=1--")],
];

/** Query values, already encoded. */
export const ODD_QUERY: [string, string][] = [
  ["empty", ""],
  ["word", "abc"],
  ["-1", "-1"],
  ["0", "0"],
  ["1e308", "1e308"],
  ["23 digits", "99999999999999999999999"],
  ["10k chars", LONG],
  ["%00", "%00"],
  ["bad escape", "%ZZ"],
  ["unicode", encodeURIComponent("ünï😀")],
  ["__proto__", "__proto__"],
  ["SQL", encodeURIComponent("' OR 1=1--")],
  ["base64 JSON", btoa('{"createdAt":"zzz","id":{"$gt":""}}')],
  ["base64 text", btoa("not a cursor")],
];

/** Header values: fetch refuses NUL and non-Latin-1, so these stay printable ASCII. */
export const ODD_HEADERS: [string, string][] = [
  ["10k chars", LONG],
  ["SQL", "' OR 1=1--"],
  ["path", "../../etc/passwd"],
  ["__proto__", "__proto__"],
  ["blank", " "],
];

export type HostileRequest = {
  label: string;
  method: string;
  url: string;
  token?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
};

export const counted = { requests: 0 };

export type Exchange = { status: number; body: any; reason: string | null };

/** Sends one request; `reason` says how the answer breaks the contract (5xx, or a 4xx that is not a problem). */
export async function exchange(r: HostileRequest): Promise<Exchange> {
  counted.requests += 1;
  const headers: Record<string, string> = { ...r.headers };
  if (r.token) headers.authorization = `Bearer ${r.token}`;
  const res = await SELF.fetch(`http://x${r.url}`, { method: r.method, headers, body: r.body });
  const text = await res.text();
  let body: any = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {}
  const where = `${r.label} -> ${res.status}`;
  const type = res.headers.get("content-type") ?? "";
  const reason =
    res.status >= 500
      ? `${where} ${text.slice(0, 160)}`
      : res.status < 400
        ? null
        : !type.startsWith("application/problem+json")
          ? `${where} content-type ${type}`
          : !body || ["type", "title", "code"].some((k) => typeof body[k] !== "string")
            ? `${where} not a problem: ${text.slice(0, 160)}`
            : body.status !== res.status
              ? `${where} status field ${body.status}`
              : null;
  return { status: res.status, body, reason };
}

/** Every request, `concurrency` in flight; the reasons of those that broke the contract, in order. */
export async function findings(requests: HostileRequest[], concurrency = 8): Promise<string[]> {
  const out = new Array<string | null>(requests.length).fill(null);
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const i = next++;
      out[i] = (await exchange(requests[i]!)).reason;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return out.filter((f): f is string => f !== null);
}
