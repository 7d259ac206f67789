// A lead's values, compact (issue 18, docs/storage.md): a JSON array on the lead's row,
// leads.data, instead of a row each. Capture's insert of the lead writes the values captured with
// it as its block, whose entries have the ids data_id, data_id + 1, … (reserved in lead_data_ids'
// sequence in the same transaction). An entry is [name, value, type, updated, created, id], its
// trailing parts left out when they are what the view lead_datas derives (type "core.data",
// times the lead's created_ts, id from its place in the block); [name] alone is the lead's hash
// (type "system"). A value added later is an entry with its id, also kept in lead_data_ids (a
// value's lead by its id). The view lead_datas shows one row per value with the columns the
// table had; INSERT, UPDATE and DELETE through it go by triggers (migrations), an upsert by the
// statements below.

/** The block capture writes: the values in the order given, then the lead's hash. */
export const leadDataBlock = (values: [string, string][]): string => JSON.stringify([...values, ["leadHash"]]);

/** An entry of leads.data: [name, value, type, updated, created, id], trailing parts left out. */
type Entry = [name: string, value?: string | null, type?: string | null, updated?: number | null, created?: number | null, id?: number | null];

/** A lead's value as the view lead_datas shows it (without its lead_id). */
export interface LeadValue {
  id: number;
  name: string;
  value: string;
  type: string;
  createdTs: number;
  updatedTs: number;
}

/**
 * A lead's values decoded from its row, in id order, as the view lead_datas derives them (its SQL
 * in migrations/0035_lead_datas_view.sql, the source for SQL readers): code that has read the row
 * needs no second read of the view. A deleted entry of the block (null) is skipped, its place kept.
 * An entry without an id is one of the block, whose lead always has data_id (written together).
 */
export function leadValues(lead: { data: string | null; dataId: number | null; leadHash: string; createdTs: number }): LeadValue[] {
  if (lead.data === null) return [];
  const entries = JSON.parse(lead.data) as (Entry | null)[];
  const out: LeadValue[] = [];
  let ordered = true;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    if (!Array.isArray(e)) continue;
    const createdTs = e[4] ?? lead.createdTs;
    const id = e[5] ?? lead.dataId! + i;
    if (out.length > 0 && out[out.length - 1]!.id > id) ordered = false;
    out.push({
      id,
      name: e[0],
      value: e[1] ?? lead.leadHash,
      type: e.length === 1 ? "system" : (e[2] ?? "core.data"),
      createdTs,
      updatedTs: e[3] ?? createdTs,
    });
  }
  return ordered ? out : out.sort((a, b) => a.id - b.id);
}

/**
 * SQL for the next value id: past lead_data_ids' sequence, its largest id (SQLite moves the
 * sequence on only at the end of a statement, so rows inserted by one statement see each other
 * there) and the last block, so that a sequence behind the blocks (a database imported without
 * sqlite_sequence) never gives an id twice. The view's insert trigger uses the same expression.
 */
export const NEXT_VALUE_ID_SQL = `(max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'lead_data_ids'), 0),
  coalesce((SELECT max(id) FROM lead_data_ids), 0),
  coalesce((SELECT data_id + json_array_length(data) - 1 FROM leads WHERE data_id IS NOT NULL ORDER BY data_id DESC LIMIT 1), 0)) + 1)`;

/**
 * SQL moving lead_data_ids' sequence past the block of the lead whose hash is ?1 (nothing if
 * that lead was not inserted), in the lead's transaction: ids are never given twice, even once
 * the lead with the last block is archived or deleted.
 */
export const RESERVE_BLOCK_SQL = `UPDATE sqlite_sequence
   SET seq = (SELECT data_id + json_array_length(data) - 1 FROM leads WHERE lead_hash = ?1 AND data_id IS NOT NULL)
 WHERE name = 'lead_data_ids' AND EXISTS (SELECT 1 FROM leads WHERE lead_hash = ?1 AND data_id IS NOT NULL)`;

/**
 * Sets values of one type on a lead by name (an upsert, which cannot go through the view), all in
 * one rewrite of the lead's row: a value of that name and type is updated in place, as the view's
 * update trigger does, and a name the lead does not have is appended with the next ids, one after
 * another in the order given, as the view's insert trigger would give them (NEXT_VALUE_ID_SQL). A
 * value of that name with another type is left as it is. ?2 is [[name, value], ...] with distinct
 * names. The two statements belong in one batch (a transaction): the row's rewrite reads and
 * writes the lead's values in one statement, so concurrent writes never lose one, and the second
 * keeps each new value's id in lead_data_ids.
 */
export function setLeadValues(db: D1Database, leadId: number, values: [string, string][], type: string, now: number): D1PreparedStatement[] {
  const named = JSON.stringify(values);
  return [
    db.prepare(
      `UPDATE leads SET data = (
         SELECT json_group_array(json(v)) FROM (
           SELECT e.key AS k,
                  CASE WHEN n.value IS NULL THEN e.value
                       WHEN e.value ->> 5 IS NOT NULL THEN json_array(e.value ->> 0, n.value ->> 1, nullif(?3, 'core.data'), ?4, coalesce(e.value ->> 4, leads.created_ts), e.value ->> 5)
                       WHEN e.value ->> 4 IS NOT leads.created_ts AND e.value ->> 4 IS NOT NULL THEN json_array(e.value ->> 0, n.value ->> 1, nullif(?3, 'core.data'), ?4, e.value ->> 4)
                       WHEN ?4 IS NOT leads.created_ts THEN json_array(e.value ->> 0, n.value ->> 1, nullif(?3, 'core.data'), ?4)
                       ELSE json_array(e.value ->> 0, n.value ->> 1, nullif(?3, 'core.data'))
                  END AS v
             FROM json_each(coalesce(leads.data, '[]')) e
             LEFT JOIN json_each(?2) n
               ON e.type = 'array' AND n.value ->> 0 = e.value ->> 0 AND json_array_length(e.value) > 1 AND coalesce(e.value ->> 2, 'core.data') = ?3
           UNION ALL
           SELECT json_array_length(coalesce(leads.data, '[]')) + row_number() OVER (ORDER BY n.key),
                  json_array(n.value ->> 0, n.value ->> 1, nullif(?3, 'core.data'), ?4, ?4, ${NEXT_VALUE_ID_SQL} + row_number() OVER (ORDER BY n.key) - 1)
             FROM json_each(?2) n
            WHERE NOT EXISTS (SELECT 1 FROM json_each(leads.data) e WHERE e.type = 'array' AND e.value ->> 0 = n.value ->> 0)
           ORDER BY k))
        WHERE id = ?1`,
    ).bind(leadId, named, type, now),
    db.prepare(
      `INSERT INTO lead_data_ids (id, lead_id)
       SELECT e.value ->> 5, l.id FROM leads l, json_each(l.data) e
        WHERE l.id = ?1 AND e.type = 'array' AND e.value ->> 5 IS NOT NULL AND e.value ->> 0 IN (SELECT value ->> 0 FROM json_each(?2))
          AND NOT EXISTS (SELECT 1 FROM lead_data_ids i WHERE i.id = e.value ->> 5)`,
    ).bind(leadId, named),
  ];
}

