CREATE TABLE `campaign_processr_job_group_jobs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`group_id` integer NOT NULL,
	`campaign_processr_job_id` integer NOT NULL,
	`position` integer DEFAULT 0 NOT NULL,
	`conditions` text DEFAULT '[]' NOT NULL,
	`created_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`group_id`) REFERENCES `campaign_processr_job_groups`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`campaign_processr_job_id`) REFERENCES `campaign_processr_jobs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `campaign_processr_job_group_jobs_job_uq` ON `campaign_processr_job_group_jobs` (`campaign_processr_job_id`);--> statement-breakpoint
CREATE INDEX `campaign_processr_job_group_jobs_group_idx` ON `campaign_processr_job_group_jobs` (`group_id`,`position`);--> statement-breakpoint
CREATE TABLE `campaign_processr_job_groups` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`campaign_id` integer NOT NULL,
	`name` text NOT NULL,
	`score` integer DEFAULT 0 NOT NULL,
	`created_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `campaign_processr_job_groups_campaign_idx` ON `campaign_processr_job_groups` (`campaign_id`);