CREATE TABLE `archive_batches` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`campaign_id` integer NOT NULL,
	`month` text NOT NULL,
	`lead_ids` text NOT NULL,
	`status` text DEFAULT 'writing' NOT NULL,
	`sha256` text,
	`bytes` integer,
	`created_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`done_ts` integer,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `archive_batches_status_idx` ON `archive_batches` (`status`);--> statement-breakpoint
CREATE TABLE `archived_leads` (
	`id` integer PRIMARY KEY NOT NULL,
	`lead_hash` text NOT NULL,
	`email_lower` text,
	`campaign_id` integer NOT NULL,
	`publisher_id` integer NOT NULL,
	`created_ts` integer NOT NULL,
	`batch_id` integer NOT NULL,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`batch_id`) REFERENCES `archive_batches`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `archived_leads_hash_uq` ON `archived_leads` (`lead_hash`);--> statement-breakpoint
CREATE INDEX `archived_leads_email_idx` ON `archived_leads` (`email_lower`);--> statement-breakpoint
CREATE INDEX `archived_leads_batch_idx` ON `archived_leads` (`batch_id`);--> statement-breakpoint
ALTER TABLE `campaigns` ADD `archive_after_days` integer;