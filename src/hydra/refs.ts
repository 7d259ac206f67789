import { type SQL, getTableName, sql } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Db } from "../db/client";
import type { Violation } from "../errors";
import { iri } from "./jsonld";
import { unprocessable } from "./write";

export interface Ref {
  propertyPath: string;
  /** Collection path of the referenced resource, for the message ("campaigns"). */
  path: string;
  table: SQLiteTable;
  id: number | null | undefined;
  /** Further condition on the referenced row (e.g. not soft-deleted). */
  where?: SQL;
}

/** Every given relation must point at an existing row, else 422 with one violation per bad reference. */
export async function assertRefs(db: Db, refs: Ref[]): Promise<void> {
  const problems: Violation[] = [];
  for (const r of refs) {
    if (r.id === null || r.id === undefined) continue;
    const row = await db.get<{ x: number }>(
      sql`SELECT 1 AS x FROM ${sql.identifier(getTableName(r.table))} WHERE id = ${r.id}${r.where ? sql` AND ${r.where}` : sql``}`,
    );
    if (!row) problems.push({ propertyPath: r.propertyPath, message: `Item not found for "${iri(r.path, r.id)}".` });
  }
  if (problems.length) throw unprocessable(problems);
}
