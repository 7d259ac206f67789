import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { valueTransformReads } from "../../src/processr/value-transforms";
import { insertLead } from "../leads/fixtures";

// The value-transform reads of each queue batch's load (valueTransformReads) go by index from the
// batch's leads. The match read looks a lead's value up in its Transform's value table through
// the table's whole unique index (transform, lower(trim(value))). Planned the other way round,
// SQLite read the lead's values (json_each of its row, through the lead_datas view) last and
// compared every row of the value table with them, for every lead of the batch: a cost that grew
// with the table (1.4 CPU ms per lead with the bench's 1,000 rows).

/** The query plans of valueTransformReads for these leads, in its order. */
async function plans(ids: number[]): Promise<string[]> {
  const sqls: string[] = [];
  valueTransformReads({ prepare: (sql: string) => (sqls.push(sql), env.DB.prepare(sql)) } as unknown as D1Database, ids);
  return Promise.all(
    sqls.map(async (sql) =>
      (await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...ids).all<{ detail: string }>()).results.map((r) => r.detail.trim()).join("\n"),
    ),
  );
}

describe("the Processr's value-transform reads", () => {
  it("match a lead's value through the value table's whole unique index, after reading the lead's values", async () => {
    const ids = [await insertLead(), await insertLead()];
    const match = (await plans(ids))[1]!;
    expect(match).toMatch(/SEARCH v USING INDEX advertiser_value_transform_values_uq \(advertiser_value_transform_id=\? AND <expr>=\?\)/);
    const lines = match.split("\n");
    expect(lines.findIndex((l) => /^SCAN e VIRTUAL TABLE/.test(l))).toBeLessThan(lines.findIndex((l) => /^SEARCH v /.test(l)));
  });

  it("read no table whole: leads by their ids, the rest by index", async () => {
    const ids = [await insertLead(), await insertLead()];
    for (const detail of await plans(ids)) {
      expect(detail).toMatch(/SEARCH (l|leads) USING INTEGER PRIMARY KEY \(rowid=\?\)/);
      // Only a lead's values (json_each of its row) are read whole.
      for (const line of detail.split("\n").filter((l) => l.startsWith("SCAN "))) expect(line).toMatch(/VIRTUAL TABLE/);
    }
  });
});
