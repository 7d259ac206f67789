/** Sends statements in one D1 batch and answers each statement's result, in their order. */
export type SendStatements = (statements: D1PreparedStatement[]) => Promise<D1Result[]>;

interface Ask {
  statements: D1PreparedStatement[];
  done: (results: D1Result[]) => void;
  fail: (err: unknown) => void;
}

/**
 * One D1 round trip for the statements that concurrent callers (a queue batch's deliveries, each
 * its claim or its outcome) ask to send while a round trip of theirs is out, or within the same
 * turn of the event loop: they go out together in the next, as one batch, each caller's statements
 * in its order, and each caller gets its own results. Nobody waits for a group to fill: what is
 * asked while nothing is out goes at the end of this turn.
 *
 * A D1 batch is one transaction, so one caller's failing statement would undo the others': when a
 * combined batch fails, nothing of it applied, and each caller's statements are sent again alone,
 * so that a failure is only ever its own caller's.
 */
export function roundTripGroup(db: Pick<D1Database, "batch">): SendStatements {
  let asked: Ask[] = [];
  let out = false;
  const alone = (a: Ask) => db.batch(a.statements).then(a.done, a.fail);
  const send = async () => {
    const asks = asked;
    asked = [];
    out = true;
    try {
      if (asks.length === 1) return await alone(asks[0]!);
      let results: D1Result[];
      try {
        results = await db.batch(asks.flatMap((a) => a.statements));
      } catch {
        await Promise.all(asks.map(alone));
        return;
      }
      let at = 0;
      for (const a of asks) a.done(results.slice(at, (at += a.statements.length)));
    } finally {
      out = false;
      if (asked.length > 0) setTimeout(send, 0);
    }
  };
  return (statements) =>
    new Promise((done, fail) => {
      asked.push({ statements, done, fail });
      // The first ask while nothing is out sends at the end of this turn, with whatever joins it by then.
      if (!out && asked.length === 1) setTimeout(send, 0);
    });
}
