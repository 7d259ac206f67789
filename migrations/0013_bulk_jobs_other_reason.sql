CREATE TABLE `bulk_job_items` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`job_id` integer NOT NULL,
	`batch` integer NOT NULL,
	`lead_id` integer,
	`input` text,
	`status` text DEFAULT 'pending' NOT NULL,
	`message` text,
	FOREIGN KEY (`job_id`) REFERENCES `bulk_jobs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `bulk_job_items_batch_idx` ON `bulk_job_items` (`job_id`,`batch`,`status`);--> statement-breakpoint
CREATE INDEX `bulk_job_items_status_idx` ON `bulk_job_items` (`job_id`,`status`);--> statement-breakpoint
CREATE TABLE `bulk_jobs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`operation` text NOT NULL,
	`params` text NOT NULL,
	`user_id` integer,
	`author` text NOT NULL,
	`status` text DEFAULT 'running' NOT NULL,
	`total` integer DEFAULT 0 NOT NULL,
	`done` integer DEFAULT 0 NOT NULL,
	`failed` integer DEFAULT 0 NOT NULL,
	`batches` integer DEFAULT 0 NOT NULL,
	`created_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`finished_ts` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
ALTER TABLE `leads` ADD `other_reason` text;--> statement-breakpoint
ALTER TABLE `leads` ADD `other_comment` text;