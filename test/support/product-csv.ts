import { api, uid } from "./api";

/** A valid GTIN-13 from 12 digits: the GS1 check digit appended. */
export function gtin13(body12: string): string {
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(body12[i]) * (i % 2 === 0 ? 1 : 3);
  return body12 + ((10 - (sum % 10)) % 10);
}

let next = 0;
/** A fresh valid GTIN-13, unique in this test file. */
export function freshGtin(): string {
  next += 1;
  const n = `${Date.now() % 1_000_000}${String(next).padStart(6, "0")}`.padStart(12, "0").slice(-12);
  return gtin13(n);
}

export const uniqueCode = () => uid("C-");

export function uploadCsv(token: string, csv: string) {
  return api("POST", "/v1/product-imports", { token, rawBody: csv, headers: { "content-type": "text/csv" } });
}

/** Polls the import until every page is applied, keeping each progress reading it saw. */
export async function untilImported(token: string, importId: string, timeoutMs = 60_000) {
  const seen: number[] = [];
  const start = Date.now();
  for (;;) {
    const r = await api("GET", `/v1/product-imports/${importId}`, { token });
    if (r.status !== 200) throw new Error(`import read: ${r.status} ${JSON.stringify(r.body)}`);
    seen.push(r.body.appliedRows);
    if (r.body.status === "done") return { body: r.body, seen };
    if (Date.now() - start > timeoutMs) throw new Error(`import not done: ${JSON.stringify(r.body).slice(0, 300)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
