import type { Env } from "../env";
import type { ValidationListKind } from "../db/schema";

// Which validation lists hold some values, asked for a whole queue batch at once: the leads of a
// batch run their jobs concurrently, and the values they ask about in the same turn of the event
// loop go to D1 as one query (one round trip, the entries' value index), as the duplicate checks'
// history does (src/processr/job-context.ts). Each caller gets the matches of its own values.

export interface ListMatch {
  listId: number;
  listName: string;
  kind: ValidationListKind;
  erasure: boolean;
  /** The stored (normalised) value that matched. */
  value: string;
}

export interface ListLookup {
  /** The entries holding any of these normalised values, on any list. */
  find(values: readonly string[]): Promise<ListMatch[]>;
}

interface Row {
  list_id: number;
  name: string;
  kind: ValidationListKind;
  erasure: number;
  value: string;
}

/** One query for any number of values (a JSON array bound once: no limit on bound parameters). */
export async function findEntries(db: D1Database, values: readonly string[]): Promise<ListMatch[]> {
  if (values.length === 0) return [];
  const { results } = await db
    .prepare(
      `SELECT e.list_id, l.name, l.kind, l.erasure, e.value
         FROM validation_list_entries e JOIN validation_lists l ON l.id = e.list_id
        WHERE e.value IN (SELECT value FROM json_each(?1))`,
    )
    .bind(JSON.stringify([...new Set(values)]))
    .all<Row>();
  return results.map((r) => ({ listId: r.list_id, listName: r.name, kind: r.kind, erasure: r.erasure === 1, value: r.value }));
}

export function createListLookup(env: Pick<Env, "DB">): ListLookup {
  type Pending = { values: readonly string[]; resolve: (m: ListMatch[]) => void; reject: (e: unknown) => void };
  let pending: Pending[] = [];
  const flush = async () => {
    const todo = pending;
    pending = [];
    try {
      const matches = await findEntries(env.DB, todo.flatMap((p) => p.values));
      for (const p of todo) {
        const own = new Set(p.values);
        p.resolve(matches.filter((m) => own.has(m.value)));
      }
    } catch (e) {
      for (const p of todo) p.reject(e);
    }
  };
  return {
    find(values) {
      if (values.length === 0) return Promise.resolve([]);
      return new Promise<ListMatch[]>((resolve, reject) => {
        // After the current turn, so that the other leads' jobs of this batch can join.
        if (pending.length === 0) setTimeout(flush, 0);
        pending.push({ values, resolve, reject });
      });
    },
  };
}
