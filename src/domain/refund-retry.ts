/** At most this long between tries of a refund the provider keeps refusing. */
const MAX_RETRY_DELAY_MINUTES = 360;

/**
 * How long an owed refund waits after its `attempts`th failure: a minute, doubling, at most six
 * hours. A brief outage is retried within minutes; a refund refused for good (a disputed charge)
 * costs the provider four calls a day instead of one a minute.
 */
export function retryDelayMinutes(attempts: number): number {
  return Math.min(MAX_RETRY_DELAY_MINUTES, 2 ** Math.min(Math.max(attempts - 1, 0), 9));
}

/**
 * Failures where refunding the same card again may work: the platform's provider balance was
 * short, or the provider gave no reason. A closed, lost or disputed card fails again: those wait
 * for ops, who pay the shopper another way or ask for a retry.
 */
const RETRIED_FAILURES: ReadonlySet<string> = new Set(["insufficient_funds", "unknown"]);

export const retriedAfterFailure = (reason: string): boolean => RETRIED_FAILURES.has(reason);
