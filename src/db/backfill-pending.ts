// Which leads a backfill (src/db/backfills.ts) has still to do, in SQL. Apart from the backfills
// themselves, which read the Processr's trail SQL, so that the Processr's writers can ask it too.

/** The backfills' names in table backfills (the rows their migrations insert). */
export const BACKFILL_NAMES = { jobCounts: "processr_job_counts", coreFields: "lead_core_fields" } as const;

/** Lead `lead` (SQL) is among the ids backfill `name` has still to do. */
export const leadPendingSql = (name: keyof typeof BACKFILL_NAMES, lead: string) =>
  `EXISTS (SELECT 1 FROM backfills b WHERE b.name = '${BACKFILL_NAMES[name]}' AND ${lead} BETWEEN b.next_id AND b.last_id)`;
