CREATE TABLE `validation_list_entries` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`list_id` integer NOT NULL,
	`value` text NOT NULL,
	`created_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`list_id`) REFERENCES `validation_lists`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `validation_list_entries_uq` ON `validation_list_entries` (`list_id`,`value`);--> statement-breakpoint
CREATE INDEX `validation_list_entries_value_idx` ON `validation_list_entries` (`value`);--> statement-breakpoint
CREATE TABLE `validation_lists` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`kind` text NOT NULL,
	`erasure` integer DEFAULT false NOT NULL,
	`created_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
