CREATE TABLE `archived_sync_tags` (
	`remote_lead_id` text NOT NULL,
	`lead_id` integer NOT NULL,
	PRIMARY KEY(`remote_lead_id`, `lead_id`),
	FOREIGN KEY (`lead_id`) REFERENCES `archived_leads`(`id`) ON UPDATE no action ON DELETE cascade
);
