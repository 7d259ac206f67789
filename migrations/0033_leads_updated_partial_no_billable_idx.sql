DROP INDEX `leads_updated_idx`;--> statement-breakpoint
DROP INDEX `leads_publisher_billable_idx`;--> statement-breakpoint
CREATE INDEX `leads_processed_updated_idx` ON `leads` (`updated_ts`) WHERE processr_status >= 500;