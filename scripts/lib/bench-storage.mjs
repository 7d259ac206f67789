// D1 bytes and rows written per lead, end to end (issue 18): leads posted to campaign 601 and run
// through its QA jobs on workerd, the database measured before and after.
//   bytes: the database size D1 reports (`meta.size_after` of a write), so pages, not payload.
//   rows written: counted by SQLite triggers the bench installs on every table: one per table row
//   inserted, updated or deleted, and one per index entry added or removed (an update that changes
//   an index key removes one entry and adds one; partial indexes count only rows their WHERE
//   takes). The same rule D1 bills by ("each index entry written is a row written"). The
//   triggers' own counter updates are not counted, nor sqlite_sequence updates of AUTOINCREMENT.
import { load } from "./load.mjs";

const COUNTER = "bench_rows_written";

const q = (name) => `"${name.replaceAll('"', '""')}"`;
const words = (text) => new Set(text.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []);

/** `expr` with every column of `columns` qualified by `row` (NEW or OLD). */
function qualify(expr, columns, row) {
  const plain = expr.replace(/["`]?\w+["`]?\.(?=["`]?\w)/g, ""); // drop "leads". qualifiers
  return plain.replace(/["`]?([A-Za-z_][A-Za-z0-9_]*)["`]?/g, (m, name) => (columns.has(name) ? `${row}.${q(name)}` : m));
}

/** Installs the counting triggers; returns how to read (and reset) the counts. */
export async function installRowCounters(db) {
  await db.exec(`CREATE TABLE IF NOT EXISTS ${COUNTER} (k TEXT PRIMARY KEY, n INTEGER NOT NULL)`);
  const tables = (await db.prepare(
    `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'
        AND name NOT IN ('d1_migrations', '${COUNTER}')`,
  ).all()).results.map((r) => r.name);
  const statements = [];
  const bump = (key, n = "1") => `INSERT INTO ${COUNTER} (k, n) VALUES ('${key}', ${n}) ON CONFLICT (k) DO UPDATE SET n = n + excluded.n;`;
  for (const table of tables) {
    const columns = new Set((await db.prepare(`PRAGMA table_info(${q(table)})`).all()).results.map((c) => c.name));
    const trig = (suffix, event, when, body) =>
      `CREATE TRIGGER IF NOT EXISTS ${q(`bench_${table}_${suffix}`)} AFTER ${event} ON ${q(table)}${when ? ` WHEN ${when}` : ""} BEGIN ${body} END`;
    statements.push(trig("i", "INSERT", "", bump(`${table}|rows`)), trig("u", "UPDATE", "", bump(`${table}|rows`)), trig("d", "DELETE", "", bump(`${table}|rows`)));
    const indexes = (await db.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?`).bind(table).all()).results;
    for (const [i, index] of indexes.entries()) {
      const keyed = (await db.prepare(`PRAGMA index_info(${q(index.name)})`).all()).results.map((c) => c.name).filter(Boolean);
      const sql = index.sql ?? "";
      const where = /\bWHERE\b([\s\S]*)$/i.exec(sql)?.[1] ?? null;
      const deps = [...new Set([...keyed, ...[...words(sql)].filter((w) => columns.has(w))])];
      const inNew = where ? `(${qualify(where, columns, "NEW")})` : "1";
      const inOld = where ? `(${qualify(where, columns, "OLD")})` : "1";
      const changed = deps.map((c) => `OLD.${q(c)} IS NOT NEW.${q(c)}`).join(" OR ") || "0";
      const key = `${table}|index`;
      statements.push(
        trig(`x${i}i`, "INSERT", inNew, bump(key)),
        trig(`x${i}d`, "DELETE", inOld, bump(key)),
        trig(`x${i}u`, "UPDATE", changed, bump(key, `coalesce(${inOld}, 0) + coalesce(${inNew}, 0)`)),
      );
    }
  }
  await db.batch(statements.map((s) => db.prepare(s)));
  return {
    read: async () => {
      const out = new Map();
      for (const { k, n } of (await db.prepare(`SELECT k, n FROM ${COUNTER}`).all()).results) {
        const [table, kind] = k.split("|");
        const t = out.get(table) ?? { table, rows: 0, index: 0 };
        t[kind] = n;
        out.set(table, t);
      }
      return out;
    },
    reset: () => db.exec(`DELETE FROM ${COUNTER}`),
  };
}

/** The database size D1 reports after a write (pages in use, free pages included). */
export async function databaseBytes(db) {
  await db.exec("CREATE TABLE IF NOT EXISTS bench_size_probe (n INTEGER)");
  return (await db.prepare("INSERT INTO bench_size_probe (n) VALUES (1)").run()).meta.size_after;
}

/** Rows and payload bytes (the columns' values, without SQLite's record and page overhead) per table. */
async function tableCounts(db, tables) {
  const out = new Map();
  for (const t of tables) {
    const columns = (await db.prepare(`PRAGMA table_info(${q(t)})`).all()).results.map((c) => `coalesce(length(CAST(${q(c.name)} AS BLOB)), 0)`);
    const row = await db.prepare(`SELECT count(*) AS n, coalesce(sum(${columns.join(" + ")}), 0) AS bytes FROM ${q(t)}`).first();
    out.set(t, row);
  }
  return out;
}

/**
 * Posts `leads` leads (10 connections), waits until each has its final flag and the database has
 * stopped changing, and reports bytes and rows written per lead, per table.
 */
export async function measureStorage({ db, base, capture, makeBody, leads, waitFor, sleep, log }) {
  const counters = await installRowCounters(db);
  const tables = (await db.prepare(
    `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name NOT LIKE 'bench_%'`,
  ).all()).results.map((r) => r.name);
  const before = { bytes: await databaseBytes(db), counts: await tableCounts(db, tables) };
  await counters.reset();
  const finalCount = async () =>
    (await db.prepare("SELECT COUNT(*) AS n FROM leads WHERE campaign_id = 601 AND processr_status IN (900, 1000) AND flag IS NOT NULL").first()).n;
  const start = await finalCount();
  log(`storage: ${leads} leads to campaign 601`);
  const t0 = Date.now();
  const cap = await load({ url: base + capture.path, method: "POST", headers: capture.headers, makeBody, connections: 10, amount: leads });
  const done = await waitFor(finalCount, start + cap.ok, t0);
  // Writes that follow the final flag (events, statistics) settle within a moment.
  let last = -1;
  for (let total = 0; total !== last; await sleep(500)) {
    last = total;
    total = [...(await counters.read()).values()].reduce((s, t) => s + t.rows + t.index, 0);
  }
  const written = await counters.read();
  const after = { bytes: await databaseBytes(db), counts: await tableCounts(db, tables) };
  const n = done.n - start;
  const perTable = [...written.values()]
    .map((t) => ({
      ...t,
      added: after.counts.get(t.table).n - before.counts.get(t.table).n,
      payload: after.counts.get(t.table).bytes - before.counts.get(t.table).bytes,
    }))
    .sort((a, b) => b.rows + b.index - (a.rows + a.index));
  const rows = perTable.reduce((s, t) => s + t.rows, 0);
  const index = perTable.reduce((s, t) => s + t.index, 0);
  return {
    leads: n, posted: cap.ok, complete: n >= cap.ok,
    bytesPerLead: (after.bytes - before.bytes) / n,
    rowsPerLead: rows / n, indexPerLead: index / n,
    perTable: perTable.map((t) => ({ table: t.table, rows: t.rows / n, index: t.index / n, added: t.added / n, payload: t.payload / n })),
    bytesAfter: after.bytes,
  };
}

/**
 * The archive on the same leads: GET /api/v4/leads/{id} on them while hot, the cron run until
 * every lead of campaign 601 is archived (its window set to 0 days), then the same GETs on them
 * archived (read from R2). `worker` is the Miniflare worker (its scheduled handler is the cron).
 */
export async function measureArchive({ db, worker, base, token, connections = 10, duration, log }) {
  const ids = (await db.prepare("SELECT id FROM leads WHERE campaign_id = 601 AND processr_status IN (900, 1000)").all()).results.map((r) => r.id);
  const headers = { Authorization: `Bearer ${token}` };
  const pick = () => `/api/v4/leads/${ids[Math.floor(Math.random() * ids.length)]}`;
  const read = () => load({ url: `${base}/api/v4/leads/${ids[0]}`, headers, connections, duration, makePath: pick });
  log(`archive: reading ${ids.length} hot leads`);
  const hot = await read();
  await db.prepare("UPDATE campaigns SET archive_after_days = 0 WHERE id = 601").run();
  const archivedCount = async () => (await db.prepare("SELECT count(*) AS n FROM archived_leads").first()).n;
  log("archive: cron runs until the campaign's leads are archived");
  const t0 = Date.now();
  let runs = 0;
  for (let last = -1, n = 0; n < ids.length && n !== last; runs++) {
    last = n;
    await worker.scheduled({ cron: "* * * * *", scheduledTime: new Date() });
    n = await archivedCount();
  }
  const seconds = (Date.now() - t0) / 1000;
  const archived = await archivedCount();
  const files = await db.prepare("SELECT count(*) AS n, sum(bytes) AS bytes FROM archive_batches WHERE status = 'done'").first();
  log(`archive: reading ${archived} archived leads`);
  const cold = await read();
  return { leads: ids.length, archived, seconds, runs, leadsPerSecond: archived / seconds, files: files.n, r2BytesPerLead: files.bytes / archived, hot, cold };
}

const D1_LIMIT_BYTES = 10e9;

/** The storage section of BENCHMARKS.md. */
export function storageReport(s, fmt) {
  if (s.pending) return `Pending: ${s.pending}`;
  const L = [];
  L.push(`${fmt(s.posted)} leads posted to campaign 601 (10 connections) and processed by its five QA jobs, ${fmt(s.leads)} with a final flag${s.complete ? "" : " (**incomplete at the limit**)"}; fresh demo state.`, "");
  L.push(`**${fmt(s.bytesPerLead)} bytes per lead** (growth of the D1 database size, \`meta.size_after\`) · **${fmt(s.rowsPerLead, 1)} table rows + ${fmt(s.indexPerLead, 1)} index entries = ${fmt(s.rowsPerLead + s.indexPerLead, 1)} rows written per lead** (counted by triggers, see scripts/lib/bench-storage.mjs) · one D1 database (10 GB) holds about **${fmt(D1_LIMIT_BYTES / s.bytesPerLead / 1e6, 1)} million** such leads.`, "");
  L.push("| table | rows written / lead | index entries / lead | rows added / lead | payload bytes added / lead |", "|---|---:|---:|---:|---:|");
  for (const t of s.perTable) L.push(`| ${t.table} | ${fmt(t.rows, 2)} | ${fmt(t.index, 2)} | ${fmt(t.added, 2)} | ${fmt(t.payload)} |`);
  const a = s.archive;
  if (a) {
    L.push("", `Archive (the same leads; campaign 601's window set to 0 days, the cron ran ${a.runs === 1 ? "once" : `${a.runs} times`}): ${fmt(a.archived)} of ${fmt(a.leads)} leads moved to R2 in ${fmt(a.seconds, 1)} s, **${fmt(a.leadsPerSecond)} leads/s**, ${fmt(a.files)} files, ${fmt(a.r2BytesPerLead)} bytes per lead in R2 (gzip).`, "");
    L.push("| `GET /api/v4/leads/{id}` (random lead, 10 connections) | req/s | p50 | p99 |", "|---|---:|---:|---:|");
    for (const [name, r] of [["hot (D1)", a.hot], ["archived (read from R2)", a.cold]]) L.push(`| ${name} | ${fmt(r.rps)}${r.failed ? ` (${r.failed} failed)` : ""} | ${fmt(r.p50)} ms | ${fmt(r.p99)} ms |`);
  }
  return L.join("\n");
}
