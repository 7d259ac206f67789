CREATE TABLE `adaptors` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`fields` text NOT NULL,
	`created_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
