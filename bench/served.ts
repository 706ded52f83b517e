// The headline of `bun run bench`: accepted orders per second with every buyer served (stock larger
// than the orders asked for, so every request is a real order), one-SKU orders and 3-vendor carts,
// at each concurrency, with the Postgres peer driven by the same client in the same rounds.
import type { Api } from "../scripts/lib/api.ts";
import { type Accepted, checkoutRequest, type Sku, stockedSku, verify } from "./fixtures.ts";
import { type Burst, closedLoop, cpuMs, settle, treeCpuMs } from "./load.ts";
import type { Peer } from "./peer/postgres.ts";

export type Shape = "claim" | "single" | "cart";
export const SHAPES: Shape[] = ["single", "cart", "claim"];

export type Round = Burst & {
  accepted: number;
  oversell: number;
  lost: number;
  /** CPU milliseconds per accepted order (workerd; the peer's server and Postgres), when known. */
  cpuPerOrder?: number;
};

export type ServedOptions = {
  url: string;
  admin: Api;
  adminToken: string;
  buyers: { token: string }[];
  orders: number;
  concurrency: number;
  tag: string;
  /** The workerd process, when the benchmark started the server (Linux only). */
  workerdPid?: number;
  peer?: Peer;
};

const ok = (status: string) => status === "200" || status === "201";

/** CPU spent by `read` over `work`, both ends taken with the process idle. */
async function measured<T>(pid: number | undefined, read: () => number | undefined, work: () => Promise<T>) {
  await settle(pid);
  const before = read();
  const result = await work();
  await settle(pid);
  const after = read();
  return { result, cpu: before !== undefined && after !== undefined ? after - before : undefined };
}

/** One round of the project: fresh SKUs with ample stock, the closed loop, then the proof. */
export async function projectRound(o: ServedOptions, shape: Shape): Promise<Round> {
  const stock = o.orders + 1000;
  const count = shape === "cart" ? 3 : 1;
  const skus: Sku[] = await Promise.all(
    Array.from({ length: count }, (_, v) => stockedSku(o.admin, `${shape[0]}${v}${o.tag}`, stock)),
  );
  const accepted: Accepted[] = [];
  const send = (i: number) =>
    shape === "claim"
      ? fetch(new URL(`/v1/bench/claim/${skus[0]!.skuId}`, o.url), {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${o.adminToken}` },
          body: JSON.stringify({ warehouses: skus[0]!.warehouseIds }),
        })
      : checkoutRequest(o.url, o.buyers[i]!.token, `served-${shape}-${o.tag}-${i}`, skus);
  const { result: run, cpu } = await measured(
    o.workerdPid,
    () => cpuMs(o.workerdPid),
    () =>
      closedLoop(o.orders, o.concurrency, send, (i, status, body) => {
        if (status === "201" && shape !== "claim")
          accepted.push({ token: o.buyers[i]!.token, orderId: body.order.id, paymentId: body.payment.id });
      }),
  );
  const taken = Object.entries(run.statuses).reduce((n, [s, k]) => n + (ok(s) ? k : 0), 0);
  const round = { ...run, accepted: taken, cpuPerOrder: cpu === undefined ? undefined : cpu / Math.max(1, taken) };
  if (shape === "claim") return { ...round, oversell: 0, lost: 0 };
  const check = await verify(o.admin, o.url, accepted, skus);
  const oversell = Math.max(0, ...check.committed.map((c) => c - stock));
  if (check.committed.some((c) => c !== accepted.length))
    console.log(`  ! ${shape}: committed ${check.committed.join("/")} for ${accepted.length} accepted orders`);
  return { ...round, oversell, lost: check.lost };
}

type Left = { left: number; orders: number; lines: number };

/** One round of the Postgres peer: ample stock, the same closed loop, then its own counts. */
export async function peerRound(o: ServedOptions, peer: Peer, shape: Shape): Promise<Round> {
  const skus = shape === "cart" ? ["c1", "c2", "c3"] : ["hot"];
  const stock = o.orders + 1000;
  for (const sku of skus) await fetch(`${peer.url}/stock/${sku}/${stock}`, { method: "POST" });
  const left = async (sku: string) => (await (await fetch(`${peer.url}/left/${sku}`)).json()) as Left;
  const before = await left(skus[0]!);
  const path = shape === "claim" ? "/claim/hot" : shape === "cart" ? "/checkout3" : "/buy/hot";
  const read = () => {
    const server = cpuMs(peer.serverPid);
    const postgres = treeCpuMs(peer.postgresPid);
    return server === undefined || postgres === undefined ? undefined : server + postgres;
  };
  const { result: run, cpu } = await measured(peer.serverPid, read, () =>
    closedLoop(o.orders, o.concurrency, () => fetch(`${peer.url}${path}`, { method: "POST", body: "{}" })),
  );
  const accepted = run.statuses["200"] ?? 0;
  const after = await left(skus[0]!);
  // Every 200 is one order with its lines, and stock went down by exactly that much.
  const sold = stock - after.left;
  const orders = shape === "claim" ? sold : after.orders - before.orders;
  return {
    ...run,
    accepted,
    cpuPerOrder: cpu === undefined ? undefined : cpu / Math.max(1, accepted),
    oversell: Math.max(0, sold - stock),
    lost: Math.max(0, accepted - Math.min(orders, sold)),
  };
}
