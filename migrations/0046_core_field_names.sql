-- Leads captured before their core values were recognised under the names forms use besides
-- Convertr's (src/leads/core-fields.ts: surname, forename, phone, zip, a telephone-type field, …)
-- get the copies they lack; a column already set is kept. The Worker fills them
-- (src/maintenance/backfills.ts), a range of lead ids per statement from the cron: one UPDATE over
-- every lead here would outlast D1's 30 s at a million leads. Leads written from now on get their
-- copies as they are written, so only the ids up to today's highest are left to it.
CREATE TABLE IF NOT EXISTS `backfills` (
	`name` text PRIMARY KEY NOT NULL,
	`next_id` integer NOT NULL,
	`last_id` integer NOT NULL
);
--> statement-breakpoint
INSERT INTO backfills (name, next_id, last_id)
  SELECT 'lead_core_fields', 0, (SELECT max(id) FROM leads) WHERE EXISTS (SELECT 1 FROM leads);
