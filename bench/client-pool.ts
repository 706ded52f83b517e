// The benchmark's HTTP client: one pool of keep-alive connections for every request the process
// makes (Node's fetch and WebSocket use the global dispatcher).
import { Agent, type Dispatcher, setGlobalDispatcher } from "undici";

/**
 * Every buyer here is this machine. Cloudflare's edge names the client's address in
 * CF-Connecting-IP; on `bun run start`'s direct socket nothing stands in for the edge, so the client
 * names it itself. Miniflare's entry worker keeps a header already there, so both ways in count
 * the same address.
 */
const CLIENT_ADDRESS: [string, string] = ["cf-connecting-ip", "127.0.0.1"];

function withClientAddress(headers: Dispatcher.DispatchOptions["headers"]): Dispatcher.DispatchOptions["headers"] {
  if (Array.isArray(headers)) return [...headers, ...CLIENT_ADDRESS];
  if (headers && Symbol.iterator in headers) return [...headers, CLIENT_ADDRESS];
  return { ...headers, [CLIENT_ADDRESS[0]]: CLIENT_ADDRESS[1] };
}

/**
 * workerd closes a connection idle for 15 s. A client that keeps one idle longer can send on it just
 * as the server closes it, and a POST on such a socket fails rather than being retried.
 */
const IDLE_CONNECTION_MS = 10_000;

export function setClientPool(connections: number) {
  const agent = new Agent({ connections, pipelining: 1, keepAliveTimeout: IDLE_CONNECTION_MS });
  setGlobalDispatcher(
    agent.compose(
      (dispatch) => (options, handler) =>
        dispatch({ ...options, headers: withClientAddress(options.headers) }, handler),
    ),
  );
}
