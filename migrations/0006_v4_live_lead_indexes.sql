CREATE INDEX `leads_live_created_idx` ON `leads` (`created_ts`) WHERE deleted_ts IS NULL;--> statement-breakpoint
CREATE INDEX `leads_live_campaign_created_idx` ON `leads` (`campaign_id`,`created_ts`) WHERE deleted_ts IS NULL;--> statement-breakpoint
CREATE INDEX `leads_live_publisher_campaign_idx` ON `leads` (`publisher_id`,`campaign_id`,`created_ts`) WHERE deleted_ts IS NULL;--> statement-breakpoint
CREATE INDEX `leads_live_email_idx` ON `leads` (`email`,`publisher_id`) WHERE deleted_ts IS NULL;