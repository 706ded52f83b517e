import type { Background } from "./background";

// Group commit inside one isolate, for any call that costs workerd about the same CPU whatever it
// carries: a D1 round trip, an RPC to a Durable Object (README, "Performance: where a checkout's
// time goes"). Under load the callers waiting on one lane's call go together in the next: one call,
// each caller handed back its own answer. A caller that finds the lane idle is sent at once, alone,
// so a quiet marketplace waits for nothing and sends exactly what it sent before.
//
// Every waiting caller is a request of its own. A call is sent from the request of one of the
// callers in it, never on behalf of a request that has already answered, and each caller holds its
// request open with waitUntil until its turn is over, so a shopper who hangs up still sends the call
// they were woken for. A caller's turn is decided in another request, which writes the outcome on
// the caller's waiter: no promise is settled across requests. workerd hands such a promise back to
// the request that made it through a queue of its own, which cost checkout about a sixth of its CPU,
// and two builds that waited on one without polling failed test/http/checkout.shared-batches.test.ts
// (README, "Performance"). So a waiting caller looks at its waiter every millisecond, on a timer of
// its own, which keeps its request from being taken for hung, and goes on from that timer, in its
// own request.

/** How a lane's callers are sent: together when several wait, alone otherwise. */
export type LaneCalls<Item, Answer> = {
  /** One call for all of `items`, answering each in order, or failing as a whole. */
  together: (items: Item[]) => Promise<Answer[]>;
  /** The same call for one item. */
  alone: (item: Item) => Promise<Answer>;
  /** What an item counts against `maxWeight` (a D1 batch's statements, say). */
  weight: (item: Item) => number;
  /** At most this much weight in one call; a heavier item goes alone. */
  maxWeight: number;
};

type Outcome<Answer> = { answer: Answer } | { failed: unknown } | { alone: true } | { lead: true };
type Waiter<Item, Answer> = { item: Item; weight: number; outcome?: Outcome<Answer> };

/**
 * One queue of callers of the same call. A failed shared call is one whose effects the callee
 * undid or may safely repeat (a D1 batch rolls back whole, a stock claim replays by its hold id),
 * so each of its callers then calls again alone and gets its own answer: one duplicate checkout's
 * unique violation fails that checkout only.
 */
class SharedTurns<Item, Answer> {
  private busy = false;
  private readonly queue: Waiter<Item, Answer>[] = [];

  constructor(private readonly calls: LaneCalls<Item, Answer>) {}

  /** No call on its way and nobody waiting: the lane may be forgotten. */
  get idle(): boolean {
    return !this.busy && this.queue.length === 0;
  }

  /** `item`'s answer, from a call shared with the callers waiting when it goes. */
  call(item: Item, background: Background | undefined): Promise<Answer> {
    const weight = this.calls.weight(item);
    if (weight > this.calls.maxWeight) return this.calls.alone(item);
    // Held open past a hang-up as well: a caller woken to send the next call must still send it.
    const done = this.takeTurns(item, weight, background);
    background?.waitUntil(done.catch(() => undefined));
    return done;
  }

  private async takeTurns(item: Item, weight: number, background: Background | undefined): Promise<Answer> {
    let waiter = this.enqueue(item, weight, false);
    for (;;) {
      if (!this.busy) this.send(background);
      const outcome = await awaitTurn(waiter);
      if ("answer" in outcome) return outcome.answer;
      if ("failed" in outcome) throw outcome.failed;
      if ("alone" in outcome) return this.calls.alone(item);
      // Woken to send the next call: first in it, from this request.
      waiter = this.enqueue(item, weight, true);
    }
  }

  private enqueue(item: Item, weight: number, first: boolean): Waiter<Item, Answer> {
    const waiter: Waiter<Item, Answer> = { item, weight };
    if (first) this.queue.unshift(waiter);
    else this.queue.push(waiter);
    return waiter;
  }

  /** The waiters at the front of the queue that fit one call (always at least one). */
  private takeGroup(): Waiter<Item, Answer>[] {
    const group: Waiter<Item, Answer>[] = [];
    let weight = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      if (group.length > 0 && weight + next.weight > this.calls.maxWeight) break;
      group.push(this.queue.shift()!);
      weight += next.weight;
    }
    return group;
  }

  /** Sends the front of the queue; once settled, wakes the next waiter to send the next call. */
  private send(background: Background | undefined) {
    this.busy = true;
    const group = this.takeGroup();
    const sent = (
      group.length === 1
        ? this.calls.alone(group[0]!.item).then((answer) => [answer])
        : this.calls.together(group.map((w) => w.item))
    )
      .then(
        (answers) => {
          for (const [i, w] of group.entries()) w.outcome = { answer: answers[i]! };
        },
        (err: unknown) => {
          if (group.length === 1) group[0]!.outcome = { failed: err };
          else for (const w of group) w.outcome = { alone: true };
        },
      )
      .finally(() => {
        this.busy = false;
        const next = this.queue.shift();
        if (next) next.outcome = { lead: true };
      });
    background?.waitUntil(sent);
  }
}

/**
 * The lanes of one kind of call, by what they call (a D1 binding, an object namespace) and a name
 * within it (a kind of batch, a SKU). A lane lives while callers use it and is forgotten once idle,
 * so lanes named by SKU do not pile up in a long-lived isolate.
 */
export class SharedLanes<Owner extends object, Item, Answer> {
  private readonly byOwner = new WeakMap<Owner, Map<string, SharedTurns<Item, Answer>>>();

  constructor(private readonly callsOf: (owner: Owner, name: string) => LaneCalls<Item, Answer>) {}

  async call(owner: Owner, name: string, item: Item, background: Background | undefined): Promise<Answer> {
    let byName = this.byOwner.get(owner);
    if (!byName) {
      byName = new Map();
      this.byOwner.set(owner, byName);
    }
    let lane = byName.get(name);
    if (!lane) {
      lane = new SharedTurns(this.callsOf(owner, name));
      byName.set(name, lane);
    }
    try {
      return await lane.call(item, background);
    } finally {
      if (lane.idle && byName.get(name) === lane) byName.delete(name);
    }
  }
}

/** Waits for the waiter's outcome, going on from a timer of this request's own (see above). */
async function awaitTurn<Item, Answer>(waiter: Waiter<Item, Answer>): Promise<Outcome<Answer>> {
  while (waiter.outcome === undefined) await new Promise((tick) => setTimeout(tick, 1));
  return waiter.outcome;
}
