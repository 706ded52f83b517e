import type { Background } from "../platform/background";

// Group commit inside one isolate. Locally a D1 round trip costs about 0.8 ms of workerd CPU
// whatever it carries (README, "Performance: where a checkout's time goes"), so under load the
// checkouts waiting on one lane's round trip go to D1 together in the next: one batch, one
// transaction, each caller handed back the results of its own statements. A caller that finds the
// lane idle is sent at once, so a quiet marketplace waits for nothing.
//
// Every waiting caller is a request of its own. A batch is sent from the request of one of the
// callers in it, never on behalf of a request that has already answered, and each caller holds
// its request open with waitUntil until its turn is over, so a shopper who hangs up still sends
// the batch it was woken for. A caller's turn is settled by another request's I/O, and workerd
// cancels as hung a request that waits on such a promise with nothing of its own pending
// (test/http/checkout.shared-batches.test.ts fails that way without this wait). So a waiting caller
// looks every millisecond, on a timer of its own, and goes on from that timer, in its own request.

/**
 * At most this many statements in one shared batch: a tenth of the 1,000 D1 queries Workers Paid
 * allows an invocation, since the request that sends it is charged for all of them.
 */
export const SHARED_BATCH_MAX_STATEMENTS = 100;

type Outcome = { results: D1Result[] } | { failed: unknown } | { alone: true } | { lead: true };
type Waiter = { statements: D1PreparedStatement[]; settle: (outcome: Outcome) => void };
type Lane = { busy: boolean; queue: Waiter[] };

const lanes = new WeakMap<D1Database, Map<string, Lane>>();

function laneOf(d1: D1Database, name: string): Lane {
  let byName = lanes.get(d1);
  if (!byName) {
    byName = new Map();
    lanes.set(d1, byName);
  }
  let lane = byName.get(name);
  if (!lane) {
    lane = { busy: false, queue: [] };
    byName.set(name, lane);
  }
  return lane;
}

function enqueue(lane: Lane, statements: D1PreparedStatement[], first: boolean): Promise<Outcome> {
  return new Promise<Outcome>((settle) => {
    const waiter = { statements, settle };
    if (first) lane.queue.unshift(waiter);
    else lane.queue.push(waiter);
  });
}

/** The waiters at the front of the queue whose statements fit one batch (always at least one). */
function takeGroup(lane: Lane): Waiter[] {
  const group: Waiter[] = [];
  let statements = 0;
  while (lane.queue.length > 0) {
    const next = lane.queue[0]!;
    if (group.length > 0 && statements + next.statements.length > SHARED_BATCH_MAX_STATEMENTS) break;
    group.push(lane.queue.shift()!);
    statements += next.statements.length;
  }
  return group;
}

/**
 * Sends the front of the queue as one batch. A failed shared batch rolled back as a whole (one
 * transaction), so each of its callers runs its own statements again alone and gets its own
 * answer: one duplicate checkout's unique violation fails that checkout only. Once the batch is
 * settled, the next waiter in line is woken to send the next one from its own request.
 */
function send(d1: D1Database, lane: Lane, background: Background | undefined) {
  lane.busy = true;
  const group = takeGroup(lane);
  const sent = d1
    .batch(group.flatMap((w) => w.statements))
    .then(
      (results) => {
        let at = 0;
        for (const w of group) {
          w.settle({ results: results.slice(at, at + w.statements.length) });
          at += w.statements.length;
        }
      },
      (err: unknown) => {
        if (group.length === 1) group[0]!.settle({ failed: err });
        else for (const w of group) w.settle({ alone: true });
      },
    )
    .finally(() => {
      lane.busy = false;
      lane.queue.shift()?.settle({ lead: true });
    });
  background?.waitUntil(sent);
}

/**
 * `d1.batch(statements)`, atomic for these statements as ever, shared with the other callers of
 * the same lane that are waiting when it goes. A lane holds one kind of batch (checkout's reads,
 * its order writes), so a failure in one kind never sends the other kind back alone.
 */
export function sharedBatch(
  d1: D1Database,
  laneName: string,
  statements: D1PreparedStatement[],
  background: Background | undefined,
): Promise<D1Result[]> {
  if (statements.length === 0 || statements.length > SHARED_BATCH_MAX_STATEMENTS) return d1.batch(statements);
  // Held open past a hang-up as well: a caller woken to send the next batch must still send it.
  const done = takeTurns(d1, laneOf(d1, laneName), statements, background);
  background?.waitUntil(done.catch(() => undefined));
  return done;
}

/** Waits for `turn`, going on from a timer of this request's own (see above). */
async function awaitTurn(turn: Promise<Outcome>): Promise<Outcome> {
  let outcome: Outcome | undefined;
  void turn.then((o) => {
    outcome = o;
  });
  while (outcome === undefined) await new Promise((tick) => setTimeout(tick, 1));
  return outcome;
}

async function takeTurns(
  d1: D1Database,
  lane: Lane,
  statements: D1PreparedStatement[],
  background: Background | undefined,
): Promise<D1Result[]> {
  let turn = enqueue(lane, statements, false);
  for (;;) {
    if (!lane.busy) send(d1, lane, background);
    const outcome = await awaitTurn(turn);
    if ("results" in outcome) return outcome.results;
    if ("failed" in outcome) throw outcome.failed;
    if ("alone" in outcome) return d1.batch(statements);
    // Woken to send the next batch: first in it, from this request.
    turn = enqueue(lane, statements, true);
  }
}
