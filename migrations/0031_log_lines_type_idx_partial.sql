DROP INDEX `log_lines_type_idx`;--> statement-breakpoint
CREATE INDEX `log_lines_type_idx` ON `log_lines` (`type`,`id`) WHERE trail IS NULL;