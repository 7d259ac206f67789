/** Sends statements in one D1 batch and answers each statement's result, in their order. */
export type SendStatements = (statements: D1PreparedStatement[]) => Promise<D1Result[]>;

interface Ask<A, R> {
  ask: A;
  done: (result: R) => void;
  fail: (err: unknown) => void;
}

/**
 * One round trip for what concurrent callers (a queue batch's deliveries) ask while a round trip
 * of theirs is out, or within the same turn of the event loop: their asks go out together in the
 * next (`together`, answering each ask's result in order). Nobody waits for a group to fill: what
 * is asked while nothing is out goes at the end of this turn. If `together` fails, each ask is
 * sent again `alone` when given, else each caller gets the failure.
 */
export function callGroup<A, R>(together: (asks: A[]) => Promise<R[]>, alone?: (ask: A) => Promise<R>): (ask: A) => Promise<R> {
  let asked: Ask<A, R>[] = [];
  let out = false;
  const send = async () => {
    const asks = asked;
    asked = [];
    out = true;
    try {
      let results: R[];
      try {
        results = await together(asks.map((a) => a.ask));
      } catch (err) {
        // Each ask alone, its failure its own (one that throws at once included: no ask is left unanswered).
        if (alone && asks.length > 1) await Promise.all(asks.map((a) => Promise.resolve(a.ask).then(alone).then(a.done, a.fail)));
        else for (const a of asks) a.fail(err);
        return;
      }
      asks.forEach((a, i) => a.done(results[i]!));
    } finally {
      out = false;
      if (asked.length > 0) setTimeout(send, 0);
    }
  };
  return (ask) =>
    new Promise((done, fail) => {
      asked.push({ ask, done, fail });
      // The first ask while nothing is out sends at the end of this turn, with whatever joins it by then.
      if (!out && asked.length === 1) setTimeout(send, 0);
    });
}

/**
 * The D1 statements of concurrent callers (each delivery's claim or outcome) in shared round
 * trips (callGroup): one batch, each caller's statements in its order, each caller given its own
 * results. A D1 batch is one transaction, so one caller's failing statement would undo the
 * others': when a combined batch fails, nothing of it applied, and each caller's statements are
 * sent again alone, so that a failure is only ever its own caller's.
 */
export function roundTripGroup(db: Pick<D1Database, "batch">): SendStatements {
  return callGroup(
    async (asks: D1PreparedStatement[][]) => {
      const results = await db.batch(asks.flat());
      let at = 0;
      return asks.map((statements) => results.slice(at, (at += statements.length)));
    },
    (statements) => db.batch(statements),
  );
}
