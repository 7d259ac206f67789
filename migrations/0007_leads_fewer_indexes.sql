DROP INDEX `leads_campaign_created_idx`;--> statement-breakpoint
DROP INDEX `leads_email_idx`;--> statement-breakpoint
DROP INDEX `leads_created_idx`;--> statement-breakpoint
DROP INDEX `leads_live_email_idx`;--> statement-breakpoint
DROP INDEX `leads_email_lower_idx`;--> statement-breakpoint
DROP INDEX `leads_ip_created_idx`;--> statement-breakpoint
DROP INDEX `leads_publisher_billable_idx`;--> statement-breakpoint
CREATE INDEX `leads_email_lower_idx` ON `leads` (lower("email"),`created_ts`) WHERE deleted_ts IS NULL;--> statement-breakpoint
CREATE INDEX `leads_ip_created_idx` ON `leads` (`ip`,`created_ts`) WHERE deleted_ts IS NULL;--> statement-breakpoint
CREATE INDEX `leads_publisher_billable_idx` ON `leads` (`campaign_id`,`publisher_id`) WHERE "leads"."publisher_billable" = 1 AND deleted_ts IS NULL;