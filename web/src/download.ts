import { ApiProblem } from "./api";
import type { ProblemBody } from "./types";

/** How far a download has come: bytes always; for a CSV, the orders seen so far of those the server announced. */
export type DownloadProgress = { bytes: number; totalBytes: number | null; orders: number; totalOrders: number | null };

/** CSV rows come one per sub-order, grouped by order: an order is counted when its id first appears. */
function orderCounter() {
  let tail = "";
  let last = "";
  let header = true;
  let orders = 0;
  return (chunk: string): number => {
    const lines = (tail + chunk).split("\n");
    tail = lines.pop() ?? "";
    for (const line of lines) {
      if (header) {
        header = false;
        continue;
      }
      const id = line.slice(0, line.indexOf(","));
      if (id && id !== last) orders += 1;
      last = id;
    }
    return orders;
  };
}

/**
 * Fetches an export as a stream, reporting progress as bytes arrive, then hands the file to the
 * browser as a download under the name the server gave it. A problem answer throws an ApiProblem.
 */
export async function streamDownload(
  path: string,
  token: string,
  onProgress: (p: DownloadProgress) => void,
  signal?: AbortSignal,
): Promise<string> {
  const res = await fetch(path, { headers: { authorization: `Bearer ${token}` }, signal });
  if (!res.ok || !res.body) throw await problemOf(res, path, "Export failed");
  const totalOrders = Number(res.headers.get("x-export-orders") ?? Number.NaN);
  const length = Number(res.headers.get("content-length") ?? Number.NaN);
  const csv = /text\/csv/.test(res.headers.get("content-type") ?? "");
  const count = orderCounter();
  const decoder = new TextDecoder();
  const chunks: Uint8Array[] = [];
  const progress: DownloadProgress = {
    bytes: 0,
    totalBytes: Number.isFinite(length) ? length : null,
    orders: 0,
    totalOrders: Number.isFinite(totalOrders) ? totalOrders : null,
  };
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    progress.bytes += value.byteLength;
    if (csv) progress.orders = count(decoder.decode(value, { stream: true }));
    onProgress({ ...progress });
  }
  const name = /filename="([^"]+)"/.exec(res.headers.get("content-disposition") ?? "")?.[1] ?? "export";
  handOver(new Blob(chunks as BlobPart[], { type: res.headers.get("content-type") ?? "" }), name);
  return name;
}

/** A file the API serves behind the caller's token (a CSV, a PDF), saved under `filename`. */
export async function saveFile(token: string, path: string, filename: string): Promise<void> {
  const res = await fetch(path, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw await problemOf(res, path, "Download failed");
  handOver(await res.blob(), filename);
}

/** The server's problem answer as an ApiProblem, or one made up from the status when it sent none. */
async function problemOf(res: Response, path: string, title: string): Promise<ApiProblem> {
  const body = (await res.json().catch(() => null)) as ProblemBody | null;
  return new ApiProblem(
    res.status,
    body?.code
      ? body
      : { type: "about:blank", title, status: res.status, detail: path, code: `HTTP_${res.status}`, requestId: "" },
  );
}

/** Hands a file to the browser as a download. */
function handOver(blob: Blob, name: string) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  // Revoked on the next turn: the click has started the download by then.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
