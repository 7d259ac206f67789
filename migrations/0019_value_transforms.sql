CREATE TABLE `advertiser_value_transform_values` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`advertiser_value_transform_id` integer NOT NULL,
	`original_value` text NOT NULL,
	`new_value` text NOT NULL,
	`created_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`advertiser_value_transform_id`) REFERENCES `advertiser_value_transforms`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `advertiser_value_transform_values_uq` ON `advertiser_value_transform_values` (`advertiser_value_transform_id`,lower(trim(original_value)));--> statement-breakpoint
CREATE TABLE `advertiser_value_transforms` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`advertiser_id` integer NOT NULL,
	`label` text NOT NULL,
	`type` text NOT NULL,
	`original_field_name` text NOT NULL,
	`new_field_name` text NOT NULL,
	`manipulation` text,
	`position` integer DEFAULT 0 NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`created_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`advertiser_id`) REFERENCES `advertisers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `advertiser_value_transforms_advertiser_idx` ON `advertiser_value_transforms` (`advertiser_id`,`position`);--> statement-breakpoint
CREATE UNIQUE INDEX `advertiser_value_transforms_new_field_uq` ON `advertiser_value_transforms` (`advertiser_id`,`new_field_name`);