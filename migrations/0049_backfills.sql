-- backfills is created by migrations 0044 and 0046 as they stand now; a database that applied
-- their earlier texts (which backfilled in the migration itself) gets it here, empty: nothing left to do.
CREATE TABLE IF NOT EXISTS `backfills` (
	`name` text PRIMARY KEY NOT NULL,
	`next_id` integer NOT NULL,
	`last_id` integer NOT NULL
);
