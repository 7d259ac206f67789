import type { LeadFlag } from "../db/schema";

// Campaign statistics and the lead-statistics chronology are running totals. Every lead sits in a
// set of buckets that depends only on its own row; a change of that row moves it between buckets
// in the same D1 batch (the lead's Durable Object decides the changes of one lead one at a time,
// each applied only while the lead is as it was decided from, and the increments are atomic in
// D1; a batch of changes sums its deltas per row: src/leads/lead-writes.ts), so the totals always
// equal a recount. The SQL predicates in
// RECOUNT_SQL below are the same rules as bucketsOf(); a test holds them together.
//
// - total: every lead that is not deleted (capture adds total+1 and processing+1)
// - valid / caution / invalid / test: by flag
// - billable: Valid and advertiser-billable (an over-allocation lead stays advertiser-billable;
//   only its publisher side is not billable, Convertr's campaign documentation)
// - delivered: Valid + Test (Convertr's lead status documentation)
// - processing: no flag yet and not on hold (processr status below 500: received, sent to Processr)
// - held: no flag yet and on hold (processr status 500-599)
// A lead whose Processr run failed (900) counts in total only until it is reprocessed.
//
// totalSales (Campaign.statistics.totalSales) is a running sum beside the buckets: the advertiser
// payout booked on each billable lead (its advertiserPayout, the campaign's payout when the lead
// was flagged Valid), i.e. what the advertiser is charged for the leads it bought. Unlike
// campaignRevenue.revenue (billable leads × the campaign's current payout) it does not move when
// the payout is edited later. It is kept in minor units (cents) so that the sum stays exact.

export const BUCKETS = [
  "total", "valid", "caution", "invalid", "test", "billable", "delivered", "held", "processing",
] as const;
export type Bucket = (typeof BUCKETS)[number];
export type Buckets = Record<Bucket, number>;

/** The chronology keeps a subset of the buckets, per campaign and UTC day of the lead's capture. */
export const CHRONOLOGY_BUCKETS = ["total", "valid", "caution", "invalid", "test", "billable"] as const;

export interface LeadStatState {
  flag: LeadFlag | null;
  processrStatus: number;
  advertiserBillable: boolean;
  /** The advertiser payout booked on the lead (a decimal string, "0.00" until it is billable). */
  advertiserPayout: string;
  deleted: boolean;
}

export const isHeldStatus = (status: number) => status >= 500 && status < 600;

export function bucketsOf(s: LeadStatState): Buckets {
  const live = !s.deleted;
  const is = (flag: LeadFlag) => (live && s.flag === flag ? 1 : 0);
  return {
    total: live ? 1 : 0,
    valid: is("Valid"),
    caution: is("Caution"),
    invalid: is("Invalid"),
    test: is("Test"),
    billable: live && s.flag === "Valid" && s.advertiserBillable ? 1 : 0,
    delivered: is("Valid") || is("Test") ? 1 : 0,
    held: live && s.flag === null && isHeldStatus(s.processrStatus) ? 1 : 0,
    processing: live && s.flag === null && s.processrStatus < 500 ? 1 : 0,
  };
}

/** "12.34" → 1234: money strings have at most two decimals. */
const cents = (amount: string) => Math.round(Number(amount) * 100);

/** The lead's share of totalSales, in cents: its booked advertiser payout while it is billable. */
export const salesCentsOf = (s: LeadStatState): number => (bucketsOf(s).billable ? cents(s.advertiserPayout) : 0);

/** A change of the running totals: bucket counts and the totalSales sum (cents). */
export type Delta = Buckets & { salesCents?: number };

export function bucketDelta(before: LeadStatState, after: LeadStatState): Delta {
  const a = bucketsOf(before);
  const b = bucketsOf(after);
  const delta = Object.fromEntries(BUCKETS.map((k) => [k, b[k] - a[k]])) as Buckets;
  return { ...delta, salesCents: salesCentsOf(after) - salesCentsOf(before) };
}

/** The statistics column counting bucket `b`. */
export const bucketColumn = (b: Bucket) => `${b}_leads`;
export const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Statements applying a delta to the campaign totals and to the chronology day of the lead's capture. */
export function statisticsStatements(
  db: D1Database,
  campaignId: number,
  leadCreatedTs: number,
  delta: Delta,
): D1PreparedStatement[] {
  const out: D1PreparedStatement[] = [];
  const changed: [string, number][] = BUCKETS.filter((b) => delta[b] !== 0).map((b) => [bucketColumn(b), delta[b]]);
  if (delta.salesCents) changed.push(["total_sales_cents", delta.salesCents]);
  if (changed.length > 0) {
    out.push(
      db
        .prepare(
          `INSERT INTO campaign_statistics (campaign_id, ${changed.map(([c]) => c).join(", ")})
           VALUES (?1, ${changed.map((_, i) => `?${i + 2}`).join(", ")})
           ON CONFLICT (campaign_id) DO UPDATE SET
           ${changed.map(([c]) => `${c} = ${c} + excluded.${c}`).join(", ")}`,
        )
        .bind(campaignId, ...changed.map(([, n]) => n)),
    );
  }
  const chrono = CHRONOLOGY_BUCKETS.filter((b) => delta[b] !== 0);
  if (chrono.length > 0) {
    out.push(
      db
        .prepare(
          `INSERT INTO lead_statistics_chronologies (campaign_id, day, ${chrono.map(bucketColumn).join(", ")})
           VALUES (?1, ?2, ${chrono.map((_, i) => `?${i + 3}`).join(", ")})
           ON CONFLICT (campaign_id, day) DO UPDATE SET
           ${chrono.map((b) => `${bucketColumn(b)} = ${bucketColumn(b)} + excluded.${bucketColumn(b)}`).join(", ")}`,
        )
        .bind(campaignId, utcDay(leadCreatedTs), ...chrono.map((b) => delta[b])),
    );
  }
  return out;
}

// A lead holds a place in its publisher's allocation (campaign_publishers.reserved_leads) while it
// is within the allocation (not over_allocation) and either still being processed or Valid (then
// publisher-billable). Capture reserves the place; each change of the lead object moves the
// counter by this rule in the same batch, so the counter always equals ALLOCATION_RECOUNT_SQL.
export interface AllocationState extends LeadStatState {
  overAllocation: boolean;
}

export const holdsAllocation = (s: AllocationState): boolean =>
  !s.deleted && !s.overAllocation && (s.flag === null ? s.processrStatus < 500 : s.flag === "Valid");

/** The same rule as holdsAllocation(), counted from the leads of campaign_publishers row `cp`. */
export const ALLOCATION_RECOUNT_SQL = `SELECT count(*) FROM leads l
  WHERE l.campaign_id = cp.campaign_id AND l.publisher_id = cp.publisher_id AND l.deleted_ts IS NULL
    AND l.over_allocation = 0 AND ((l.flag IS NULL AND l.processr_status < 500) OR l.flag = 'Valid')`;

/** The state of a freshly captured lead (what capture counts: total+1, processing+1). */
export const CAPTURED: LeadStatState = { flag: null, processrStatus: 0, advertiserBillable: false, advertiserPayout: "0.00", deleted: false };

// The same rules as bucketsOf(), as SQL over the leads table.
const LIVE = "deleted_ts IS NULL";
const RECOUNT_SQL: Record<Bucket, string> = {
  total: LIVE,
  valid: `${LIVE} AND flag = 'Valid'`,
  caution: `${LIVE} AND flag = 'Caution'`,
  invalid: `${LIVE} AND flag = 'Invalid'`,
  test: `${LIVE} AND flag = 'Test'`,
  billable: `${LIVE} AND flag = 'Valid' AND advertiser_billable = 1`,
  delivered: `${LIVE} AND flag IN ('Valid', 'Test')`,
  held: `${LIVE} AND flag IS NULL AND processr_status >= 500 AND processr_status < 600`,
  processing: `${LIVE} AND flag IS NULL AND processr_status < 500`,
};
export const recountColumns = (buckets: readonly Bucket[]) =>
  buckets.map((b) => `coalesce(sum(CASE WHEN ${RECOUNT_SQL[b]} THEN 1 ELSE 0 END), 0) AS ${b}`).join(", ");

/** Counts a campaign's buckets from the leads themselves (for checks and repairs). */
export async function recountCampaign(db: D1Database, campaignId: number): Promise<Buckets> {
  const row = await db
    .prepare(`SELECT ${recountColumns(BUCKETS)} FROM leads WHERE campaign_id = ?1`)
    .bind(campaignId)
    .first<Buckets>();
  return row!;
}

/** salesCentsOf() as SQL over a campaign's leads: totalSales in cents, counted from the leads themselves. */
export const salesRecountSql = (campaignId: number | string) =>
  `SELECT coalesce(sum(CAST(round(CAST(advertiser_payout AS REAL) * 100) AS INTEGER)), 0) FROM leads
    WHERE campaign_id = ${campaignId} AND ${RECOUNT_SQL.billable}`;

/** A campaign's totalSales in cents, from its leads (for checks and repairs). */
export async function recountSalesCents(db: D1Database, campaignId: number): Promise<number> {
  const row = await db.prepare(`SELECT (${salesRecountSql("?1")}) AS n`).bind(campaignId).first<{ n: number }>();
  return row!.n;
}

/** Counts the chronology of a campaign per UTC day of capture, from the leads themselves. */
export async function recountChronology(
  db: D1Database,
  campaignId: number,
): Promise<Record<string, Pick<Buckets, (typeof CHRONOLOGY_BUCKETS)[number]>>> {
  const { results } = await db
    .prepare(
      `SELECT strftime('%Y-%m-%d', created_ts / 1000, 'unixepoch') AS day, ${recountColumns(CHRONOLOGY_BUCKETS)}
         FROM leads WHERE campaign_id = ?1 GROUP BY day`,
    )
    .bind(campaignId)
    .all<{ day: string } & Buckets>();
  return Object.fromEntries(results.map(({ day, ...b }) => [day, b]));
}
