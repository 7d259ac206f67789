DROP INDEX `leads_processr_status_idx`;--> statement-breakpoint
CREATE INDEX `leads_unprocessed_idx` ON `leads` (`processr_status`) WHERE processr_status < 500;