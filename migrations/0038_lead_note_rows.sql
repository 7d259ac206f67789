CREATE TABLE `lead_note_rows` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`lead_id` integer NOT NULL,
	`user_id` integer,
	`author` text NOT NULL,
	`note` text,
	`from_flag` text,
	`to_flag` text,
	`reason` text,
	`created_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`note_text` integer,
	FOREIGN KEY (`lead_id`) REFERENCES `leads`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `lead_note_rows_lead_idx` ON `lead_note_rows` (`lead_id`,`id`);--> statement-breakpoint
-- Every note as it was (note_text null: read as stored), under its id; the sequence goes on from lead_notes'.
INSERT INTO `lead_note_rows` (`id`, `lead_id`, `user_id`, `author`, `note`, `from_flag`, `to_flag`, `reason`, `created_ts`)
  SELECT `id`, `lead_id`, `user_id`, `author`, `note`, `from_flag`, `to_flag`, `reason`, `created_ts` FROM `lead_notes` ORDER BY `id`;--> statement-breakpoint
INSERT INTO `sqlite_sequence` (`name`, `seq`)
  SELECT 'lead_note_rows', 0 WHERE NOT EXISTS (SELECT 1 FROM `sqlite_sequence` WHERE `name` = 'lead_note_rows');--> statement-breakpoint
UPDATE `sqlite_sequence` SET `seq` = max(`seq`, coalesce((SELECT max(`seq`) FROM `sqlite_sequence` WHERE `name` = 'lead_notes'), 0))
 WHERE `name` = 'lead_note_rows';
