import { addSeconds, isoSeconds } from "../../domain/time";

/** One message as a channel sends it. */
export type Outgoing = {
  id: string;
  orderId: string | null;
  /** One conversation per parent order. */
  threadKey: string;
  recipient: string;
  template: string;
  params: Record<string, string | number>;
  text: string;
};

/**
 * What the provider answered. `retry` marks a refusal that passes or that an operator clears (rate
 * limited, provider down, network, an expired token, an unpaid bill): the message is tried again
 * later. Anything else is final (a refusal about the message or its recipient), with its reason kept.
 */
export type Delivery = { ok: true; providerRef: string } | { ok: false; retry: boolean; error: string };

export type Channel = { send(message: Outgoing): Promise<Delivery> };

/**
 * A provider's HTTP answer as a delivery: 401, 429 and 5xx are worth retrying, other 4xx are not
 * unless `temporary` recognises the body as a refusal that will pass or that is about our account
 * rather than the message. A 401 is about our credentials, never the recipient: an expired token or
 * a revoked key is replaced within minutes or hours, and failing every message meanwhile for good
 * would lose all of them (nothing queues a failed message again).
 */
export async function deliveryOf(
  res: Response,
  providerRef: (body: unknown) => string | undefined,
  temporary: (body: unknown, status: number) => boolean = () => false,
): Promise<Delivery> {
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    // The answer broke off (the connection dropped, the send's timeout ran out mid-body): whether
    // the provider took the message is unknown, and one message must not sink the others' outcomes.
    return { ok: false, retry: true, error: `network: reading the answer: ${String(err)}` };
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (res.ok) {
    const ref = providerRef(body);
    return ref
      ? { ok: true, providerRef: ref }
      : { ok: false, retry: true, error: `no message id in ${text.slice(0, 200)}` };
  }
  const retry = res.status === 401 || res.status === 429 || res.status >= 500 || temporary(body, res.status);
  return { ok: false, retry, error: `${res.status} ${text.slice(0, 500)}` };
}

/** A refusal worth retrying is tried again after 1, 2, 4 ... 60 minutes, this many attempts in all. */
export const MAX_SEND_ATTEMPTS = 10;

/**
 * When a message refused in a way worth retrying on its `attempts`-th try (attempts are counted as a
 * sender claims the message) is tried again, or null once its attempts are spent and the refusal is
 * final. Both the sender and WhatsApp's later word on a send it took (notifications/delivery-status.ts)
 * schedule by this, so a message gets the same tries whichever reported the refusal.
 */
export function nextAttemptAt(attempts: number, now: Date): string | null {
  if (attempts >= MAX_SEND_ATTEMPTS) return null;
  return isoSeconds(addSeconds(now, Math.min(60, 2 ** (attempts - 1)) * 60));
}

/** The longest one send may take before it counts as a network failure. */
export const SEND_TIMEOUT_SECONDS = 15;

/** A network failure is temporary: the provider may well have been unreachable for a moment. */
export async function post(url: string, init: RequestInit): Promise<Response | Delivery> {
  try {
    return await fetch(url, { ...init, method: "POST", signal: AbortSignal.timeout(SEND_TIMEOUT_SECONDS * 1000) });
  } catch (err) {
    return { ok: false, retry: true, error: `network: ${String(err)}` };
  }
}
