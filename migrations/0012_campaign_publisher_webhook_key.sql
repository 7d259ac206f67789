ALTER TABLE `campaign_publishers` ADD `webhook_key` text;--> statement-breakpoint
-- Every existing contract gets its landing-page key at once (128 random bits, hex like the API keys).
UPDATE `campaign_publishers` SET `webhook_key` = lower(hex(randomblob(16))) WHERE `webhook_key` IS NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `campaign_publishers_webhook_key_uq` ON `campaign_publishers` (`webhook_key`);
