ALTER TABLE `integration_deliveries` ADD `lease_until_ts` integer;--> statement-breakpoint
ALTER TABLE `integration_deliveries` ADD `last_sync_event_id` integer;