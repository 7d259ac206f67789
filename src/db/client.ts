import { drizzle } from "drizzle-orm/d1";
import type { Env } from "../env";
import * as schema from "./schema";

export type Db = ReturnType<typeof createDb>;

const createDb = (d1: D1Database) => drizzle(d1, { schema });

// One drizzle client per D1 binding and isolate: building one walks the whole schema (about a
// quarter of a millisecond of CPU, measured on the v4 lead page), and a client holds no request
// state. A WeakMap, so that a binding that goes away takes its client with it.
const clients = new WeakMap<D1Database, Db>();

export function getDb(env: Pick<Env, "DB">): Db {
  let db = clients.get(env.DB);
  if (!db) clients.set(env.DB, (db = createDb(env.DB)));
  return db;
}
