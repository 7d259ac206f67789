CREATE TABLE `sync_tag_states` (
	`campaign_processr_job_id` integer PRIMARY KEY NOT NULL,
	`placed_ts` integer NOT NULL,
	`removed_ts` integer,
	`updated_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`campaign_processr_job_id`) REFERENCES `campaign_processr_jobs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
ALTER TABLE `integration_deliveries` ADD `sync_placed_ts` integer;