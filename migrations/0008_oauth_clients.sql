CREATE TABLE `oauth_clients` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`random_id` text NOT NULL,
	`secret` text NOT NULL,
	`created_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
-- Every enterprise starts with its client; the values are random per database (the demo seed sets known ones).
INSERT INTO `oauth_clients` (`random_id`, `secret`) VALUES (lower(hex(randomblob(16))), lower(hex(randomblob(24))));
