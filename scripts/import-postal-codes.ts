// Imports a postal-code CSV into a running Worker through POST /v1/admin/postal-codes.
//
//   node scripts/import-postal-codes.ts <file.csv> [--url http://127.0.0.1:8787] [--token <admin token>]
//
// The CSV has a header row naming country,code,lat,lng and optionally place (any order);
// scripts/data/postal-codes-in.csv is the demo region. --url and --token default to the
// baseUrl and admin token in demo.json, which `bun run dev` writes. Rows are upserted, so a
// re-run is safe. The file is sent in pieces below the API's 256 KiB body cap, each with the
// header, and rejected rows are reported with their line in the original file. Exit status:
// 0 all imported, 1 some rows rejected, 2 the import could not run.
//
// Node built-ins only, so it runs before `bun install` has built anything.

import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";

const MAX_CHUNK_BYTES = 200 * 1024;
const DEMO_JSON = path.resolve(import.meta.dirname, "..", "demo.json");

type Rec = { line: number; text: string };
type Rejected = { line: number; message: string };

function fail(message: string): never {
  console.error(`import-postal-codes: ${message}`);
  process.exit(2);
}

/** Splits CSV text into records (a quoted field may hold line breaks) with the line each starts on. */
function splitRecords(text: string): Rec[] {
  const out: Rec[] = [];
  let line = 1;
  let start = 0;
  let startLine = 1;
  let quoted = false;
  for (let i = 0; i <= text.length; i += 1) {
    const ch = text[i];
    if (ch === '"') quoted = !quoted;
    const end = i === text.length || (!quoted && (ch === "\n" || ch === "\r"));
    if (!end) {
      if (ch === "\n") line += 1;
      continue;
    }
    const record = text.slice(start, i);
    if (record.trim() !== "") out.push({ line: startLine, text: record });
    if (ch === "\r" && text[i + 1] === "\n") i += 1;
    line += 1;
    start = i + 1;
    startLine = line;
  }
  return out;
}

/** Consecutive records under the size cap; each piece is sent after the header. */
function pieces(records: Rec[], headerBytes: number): Rec[][] {
  const out: Rec[][] = [];
  let current: Rec[] = [];
  let bytes = headerBytes;
  for (const r of records) {
    const size = Buffer.byteLength(r.text) + 1;
    if (current.length > 0 && bytes + size > MAX_CHUNK_BYTES) {
      out.push(current);
      current = [];
      bytes = headerBytes;
    }
    current.push(r);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

function demoDefaults(): { url?: string; token?: string } {
  if (!existsSync(DEMO_JSON)) return {};
  try {
    const demo = JSON.parse(readFileSync(DEMO_JSON, "utf8")) as {
      baseUrl?: string;
      tokens?: { role: string; token: string }[];
    };
    return { url: demo.baseUrl, token: demo.tokens?.find((t) => t.role === "admin")?.token };
  } catch (err) {
    fail(`cannot read ${DEMO_JSON}: ${(err as Error).message}`);
  }
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { url: { type: "string" }, token: { type: "string" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help || positionals.length !== 1) {
    console.log("usage: node scripts/import-postal-codes.ts <file.csv> [--url <base url>] [--token <admin token>]");
    process.exit(values.help ? 0 : 2);
  }
  const file = positionals[0]!;
  const demo = demoDefaults();
  const base = (values.url ?? demo.url ?? "http://127.0.0.1:8787").replace(/\/+$/, "").replace(/\/v1$/, "");
  const token = values.token ?? demo.token;
  if (!token) fail("no admin token: pass --token, or start `bun run dev`, which writes demo.json");

  let text: string;
  try {
    text = readFileSync(file, "utf8").replace(/^\uFEFF/, "");
  } catch (err) {
    fail(`cannot read ${file}: ${(err as Error).message}`);
  }
  const [header, ...records] = splitRecords(text);
  if (!header) fail(`${file} is empty`);
  const headerLines = header.text.split(/\r\n|\r|\n/).length;

  let imported = 0;
  const rejected: Rejected[] = [];
  for (const piece of pieces(records, Buffer.byteLength(header.text) + 1)) {
    // The server numbers lines within the piece; map each record's line there back to the file.
    const original = new Map<number, number>();
    let at = headerLines + 1;
    for (const r of piece) {
      original.set(at, r.line);
      at += r.text.split(/\r\n|\r|\n/).length;
    }
    const body = `${header.text}\n${piece.map((r) => r.text).join("\n")}\n`;
    let res: Response;
    try {
      res = await fetch(`${base}/v1/admin/postal-codes`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "text/csv; charset=utf-8" },
        body,
      });
    } catch (err) {
      fail(`cannot reach ${base}: ${(err as Error).message}`);
    }
    const answer = (await res.json().catch(() => null)) as
      | { imported: number; rejected: Rejected[] }
      | { status: number; detail?: string; code?: string }
      | null;
    if (!res.ok || !answer || !("imported" in answer)) {
      const detail = answer && "detail" in answer ? `${answer.code}: ${answer.detail}` : res.statusText;
      fail(`${base} answered ${res.status} (${detail}); ${imported} rows were imported before that`);
    }
    imported += answer.imported;
    for (const r of answer.rejected) rejected.push({ line: original.get(r.line) ?? r.line, message: r.message });
  }

  console.log(`imported ${imported} postal codes from ${file} into ${base}`);
  if (rejected.length > 0) {
    console.log(`rejected ${rejected.length} row(s):`);
    for (const r of rejected) console.log(`  line ${r.line}: ${r.message}`);
    process.exit(1);
  }
}

await main();
