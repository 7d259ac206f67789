CREATE TABLE `advertisers` (
	`id` integer PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`created_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `campaign_processr_jobs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`campaign_id` integer NOT NULL,
	`type` text NOT NULL,
	`label` text NOT NULL,
	`score` integer DEFAULT 0 NOT NULL,
	`hardfail` integer DEFAULT false NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`position` integer DEFAULT 0 NOT NULL,
	`config` text DEFAULT '{}' NOT NULL,
	`created_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `campaign_processr_jobs_campaign_idx` ON `campaign_processr_jobs` (`campaign_id`,`position`);--> statement-breakpoint
CREATE TABLE `campaign_publishers` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`campaign_id` integer NOT NULL,
	`publisher_id` integer NOT NULL,
	`api_key` text NOT NULL,
	`cap` integer,
	`payout_amount` text,
	`signed` integer DEFAULT true NOT NULL,
	`created_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`publisher_id`) REFERENCES `publishers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `campaign_publishers_uq` ON `campaign_publishers` (`campaign_id`,`publisher_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `campaign_publishers_api_key_uq` ON `campaign_publishers` (`api_key`);--> statement-breakpoint
CREATE INDEX `campaign_publishers_publisher_idx` ON `campaign_publishers` (`publisher_id`);--> statement-breakpoint
CREATE TABLE `campaign_statistics` (
	`campaign_id` integer PRIMARY KEY NOT NULL,
	`total_leads` integer DEFAULT 0 NOT NULL,
	`valid_leads` integer DEFAULT 0 NOT NULL,
	`caution_leads` integer DEFAULT 0 NOT NULL,
	`invalid_leads` integer DEFAULT 0 NOT NULL,
	`test_leads` integer DEFAULT 0 NOT NULL,
	`billable_leads` integer DEFAULT 0 NOT NULL,
	`delivered_leads` integer DEFAULT 0 NOT NULL,
	`held_leads` integer DEFAULT 0 NOT NULL,
	`processing_leads` integer DEFAULT 0 NOT NULL,
	`impressions` integer DEFAULT 0 NOT NULL,
	`conversions` integer DEFAULT 0 NOT NULL,
	`clicks` integer DEFAULT 0 NOT NULL,
	`last_conversion_ts` integer,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `campaigns` (
	`id` integer PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`advertiser_id` integer NOT NULL,
	`currency_id` integer NOT NULL,
	`start_ts` integer NOT NULL,
	`end_ts` integer NOT NULL,
	`leads_required` integer DEFAULT 0 NOT NULL,
	`paused` integer DEFAULT false NOT NULL,
	`pause_ts` integer,
	`pause_reason` text,
	`contract_signed` integer DEFAULT true NOT NULL,
	`payout` text DEFAULT 'CPL' NOT NULL,
	`payout_amount` text DEFAULT '0.00' NOT NULL,
	`contract_value` text DEFAULT '0.00' NOT NULL,
	`default_publisher_rate` integer DEFAULT 0 NOT NULL,
	`campaign_market` text DEFAULT 'b2b' NOT NULL,
	`default_threshold_score` integer DEFAULT 70 NOT NULL,
	`integrate` integer DEFAULT true NOT NULL,
	`call_centre` integer DEFAULT false NOT NULL,
	`double_optin` integer DEFAULT false NOT NULL,
	`score_base_routing` integer DEFAULT false NOT NULL,
	`performance_model` text DEFAULT 'full' NOT NULL,
	`internal_only` integer DEFAULT false NOT NULL,
	`publisher_payout_type` text DEFAULT 'CPL' NOT NULL,
	`manual_score` integer DEFAULT false NOT NULL,
	`use_value_transforms` integer DEFAULT false NOT NULL,
	`test_mode` integer DEFAULT false NOT NULL,
	`hold_publisher_over_delivery` integer DEFAULT false NOT NULL,
	`uncapped` integer DEFAULT false NOT NULL,
	`unavailable_campaign_logic` text DEFAULT 'allow_leads' NOT NULL,
	`unavailable_campaign_redirect_url` text,
	`lead_process_delay` integer DEFAULT 0 NOT NULL,
	`api_key` text NOT NULL,
	`is_template` integer DEFAULT false NOT NULL,
	`notes` text,
	`sign_name` text,
	`sign_role` text,
	`sign_ts` integer,
	`sign_io_number` text,
	`terms` text DEFAULT '' NOT NULL,
	`deleted_ts` integer,
	`created_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`advertiser_id`) REFERENCES `advertisers`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`currency_id`) REFERENCES `currencies`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `campaigns_start_idx` ON `campaigns` (`start_ts`);--> statement-breakpoint
CREATE INDEX `campaigns_end_idx` ON `campaigns` (`end_ts`);--> statement-breakpoint
CREATE INDEX `campaigns_updated_idx` ON `campaigns` (`updated_ts`);--> statement-breakpoint
CREATE INDEX `campaigns_created_idx` ON `campaigns` (`created_ts`);--> statement-breakpoint
CREATE INDEX `campaigns_advertiser_idx` ON `campaigns` (`advertiser_id`);--> statement-breakpoint
CREATE INDEX `campaigns_paused_idx` ON `campaigns` (`paused`);--> statement-breakpoint
CREATE UNIQUE INDEX `campaigns_api_key_uq` ON `campaigns` (`api_key`);--> statement-breakpoint
CREATE TABLE `currencies` (
	`id` integer PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`symbol` text NOT NULL,
	`base` integer DEFAULT false NOT NULL,
	`rate_to_base` text DEFAULT '1.0000' NOT NULL
);
--> statement-breakpoint
CREATE TABLE `form_fields` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`form_id` integer NOT NULL,
	`name` text NOT NULL,
	`type` text DEFAULT 'text' NOT NULL,
	`required` integer DEFAULT false NOT NULL,
	`hidden` integer DEFAULT false NOT NULL,
	`position` integer DEFAULT 0 NOT NULL,
	FOREIGN KEY (`form_id`) REFERENCES `forms`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `form_fields_uq` ON `form_fields` (`form_id`,`name`);--> statement-breakpoint
CREATE TABLE `forms` (
	`id` integer PRIMARY KEY NOT NULL,
	`campaign_id` integer NOT NULL,
	`name` text NOT NULL,
	`created_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `forms_campaign_idx` ON `forms` (`campaign_id`);--> statement-breakpoint
CREATE TABLE `idempotency_keys` (
	`key` text PRIMARY KEY NOT NULL,
	`request_hash` text NOT NULL,
	`lead_id` integer,
	`response_status` integer NOT NULL,
	`response_body` text NOT NULL,
	`created_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`lead_id`) REFERENCES `leads`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `integration_deliveries` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`lead_id` integer NOT NULL,
	`campaign_processr_job_id` integer NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`idempotency_key` text NOT NULL,
	`remote_lead_id` text,
	`remote_lead_hash` text,
	`response_value` text,
	`sync_secret` text,
	`last_error` text,
	`created_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`lead_id`) REFERENCES `leads`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`campaign_processr_job_id`) REFERENCES `campaign_processr_jobs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `integration_deliveries_uq` ON `integration_deliveries` (`lead_id`,`campaign_processr_job_id`);--> statement-breakpoint
CREATE INDEX `integration_deliveries_remote_idx` ON `integration_deliveries` (`remote_lead_id`);--> statement-breakpoint
CREATE TABLE `lead_datas` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`lead_id` integer NOT NULL,
	`name` text NOT NULL,
	`value` text NOT NULL,
	`type` text DEFAULT 'core.data' NOT NULL,
	`created_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`lead_id`) REFERENCES `leads`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `lead_datas_lead_name_uq` ON `lead_datas` (`lead_id`,`name`);--> statement-breakpoint
CREATE TABLE `lead_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`lead_id` integer NOT NULL,
	`type` text NOT NULL,
	`payload` text NOT NULL,
	`created_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`lead_id`) REFERENCES `leads`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `lead_events_lead_idx` ON `lead_events` (`lead_id`,`id`);--> statement-breakpoint
CREATE TABLE `lead_notes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`lead_id` integer NOT NULL,
	`user_id` integer,
	`author` text NOT NULL,
	`note` text NOT NULL,
	`from_flag` text,
	`to_flag` text,
	`reason` text,
	`created_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`lead_id`) REFERENCES `leads`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `lead_notes_lead_idx` ON `lead_notes` (`lead_id`,`id`);--> statement-breakpoint
CREATE TABLE `lead_statistics_chronologies` (
	`campaign_id` integer NOT NULL,
	`day` text NOT NULL,
	`total_leads` integer DEFAULT 0 NOT NULL,
	`valid_leads` integer DEFAULT 0 NOT NULL,
	`caution_leads` integer DEFAULT 0 NOT NULL,
	`invalid_leads` integer DEFAULT 0 NOT NULL,
	`test_leads` integer DEFAULT 0 NOT NULL,
	`billable_leads` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`campaign_id`, `day`),
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `leads` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`campaign_id` integer NOT NULL,
	`publisher_id` integer NOT NULL,
	`form_id` integer NOT NULL,
	`link_id` integer,
	`lead_hash` text NOT NULL,
	`qa_result` text,
	`flag` text,
	`processr_status` integer DEFAULT 0 NOT NULL,
	`score` integer DEFAULT 0 NOT NULL,
	`max_score` integer DEFAULT 0 NOT NULL,
	`hardfail` integer DEFAULT false NOT NULL,
	`over_allocation` integer DEFAULT false NOT NULL,
	`advertiser_billable` integer DEFAULT false NOT NULL,
	`publisher_billable` integer DEFAULT false NOT NULL,
	`publisher_payout` text DEFAULT '0.00' NOT NULL,
	`advertiser_payout` text DEFAULT '0.00' NOT NULL,
	`email` text,
	`first_name` text,
	`last_name` text,
	`telephone` text,
	`postcode` text,
	`address_line1` text,
	`address_line2` text,
	`address_line3` text,
	`address_line4` text,
	`publisher_sub_id` text,
	`ip` text,
	`user_agent` text,
	`processing_counter` integer DEFAULT 0 NOT NULL,
	`first_delivered_ts` integer,
	`deleted_ts` integer,
	`created_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`publisher_id`) REFERENCES `publishers`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`form_id`) REFERENCES `forms`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`link_id`) REFERENCES `links`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `leads_hash_uq` ON `leads` (`lead_hash`);--> statement-breakpoint
CREATE INDEX `leads_campaign_idx` ON `leads` (`campaign_id`,`id`);--> statement-breakpoint
CREATE INDEX `leads_campaign_created_idx` ON `leads` (`campaign_id`,`created_ts`);--> statement-breakpoint
CREATE INDEX `leads_publisher_idx` ON `leads` (`publisher_id`,`id`);--> statement-breakpoint
CREATE INDEX `leads_email_idx` ON `leads` (`email`);--> statement-breakpoint
CREATE INDEX `leads_created_idx` ON `leads` (`created_ts`);--> statement-breakpoint
CREATE INDEX `leads_updated_idx` ON `leads` (`updated_ts`);--> statement-breakpoint
CREATE INDEX `leads_ip_created_idx` ON `leads` (`ip`,`created_ts`);--> statement-breakpoint
CREATE INDEX `leads_processr_status_idx` ON `leads` (`processr_status`);--> statement-breakpoint
CREATE TABLE `links` (
	`id` integer PRIMARY KEY NOT NULL,
	`campaign_id` integer NOT NULL,
	`channel` text NOT NULL,
	`name` text NOT NULL,
	`destination` text NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`created_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `links_campaign_idx` ON `links` (`campaign_id`);--> statement-breakpoint
CREATE TABLE `logs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`type` text NOT NULL,
	`lead_id` integer,
	`campaign_id` integer,
	`campaign_processr_job_id` integer,
	`level` text DEFAULT 'info' NOT NULL,
	`message` text NOT NULL,
	`context` text,
	`created_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`lead_id`) REFERENCES `leads`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `logs_lead_idx` ON `logs` (`lead_id`,`id`);--> statement-breakpoint
CREATE INDEX `logs_type_idx` ON `logs` (`type`,`id`);--> statement-breakpoint
CREATE TABLE `mfa_challenges` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` integer NOT NULL,
	`code_hash` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`expires_ts` integer NOT NULL,
	`used_ts` integer,
	`created_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `mfa_challenges_user_idx` ON `mfa_challenges` (`user_id`);--> statement-breakpoint
CREATE TABLE `outbox_messages` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`to` text NOT NULL,
	`body` text NOT NULL,
	`created_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `password_resets` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` integer NOT NULL,
	`code_hash` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`expires_ts` integer NOT NULL,
	`used_ts` integer,
	`created_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `password_resets_user_idx` ON `password_resets` (`user_id`);--> statement-breakpoint
CREATE TABLE `processr_job_leads` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`lead_id` integer NOT NULL,
	`campaign_processr_job_id` integer NOT NULL,
	`status` text NOT NULL,
	`message` text DEFAULT '' NOT NULL,
	`score` integer DEFAULT 0 NOT NULL,
	`started_ts` integer NOT NULL,
	`finished_ts` integer NOT NULL,
	FOREIGN KEY (`lead_id`) REFERENCES `leads`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`campaign_processr_job_id`) REFERENCES `campaign_processr_jobs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `processr_job_leads_uq` ON `processr_job_leads` (`lead_id`,`campaign_processr_job_id`);--> statement-breakpoint
CREATE TABLE `publishers` (
	`id` integer PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`created_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `refresh_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` integer NOT NULL,
	`expires_ts` integer NOT NULL,
	`used_ts` integer,
	`revoked_ts` integer,
	`created_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `refresh_tokens_user_idx` ON `refresh_tokens` (`user_id`);--> statement-breakpoint
CREATE TABLE `sync_subscriptions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`lead_id` integer NOT NULL,
	`campaign_publisher_id` integer NOT NULL,
	`callback_url` text NOT NULL,
	`secret` text NOT NULL,
	`disabled_ts` integer,
	`created_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`lead_id`) REFERENCES `leads`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`campaign_publisher_id`) REFERENCES `campaign_publishers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `sync_subscriptions_lead_idx` ON `sync_subscriptions` (`lead_id`);--> statement-breakpoint
CREATE TABLE `users` (
	`id` integer PRIMARY KEY NOT NULL,
	`username` text NOT NULL,
	`name` text DEFAULT '' NOT NULL,
	`password_hash` text NOT NULL,
	`role` text NOT NULL,
	`publisher_id` integer,
	`mfa_telephone` text,
	`password_expires_ts` integer,
	`password_changed_ts` integer,
	`disabled` integer DEFAULT false NOT NULL,
	`created_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`publisher_id`) REFERENCES `publishers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_username_uq` ON `users` (`username`);--> statement-breakpoint
CREATE TABLE `webhook_deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`event_id` integer NOT NULL,
	`subscription_id` integer NOT NULL,
	`lead_id` integer NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_ts` integer,
	`last_status_code` integer,
	`last_error` text,
	`delivered_ts` integer,
	`created_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`event_id`) REFERENCES `lead_events`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`subscription_id`) REFERENCES `sync_subscriptions`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`lead_id`) REFERENCES `leads`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `webhook_deliveries_uq` ON `webhook_deliveries` (`event_id`,`subscription_id`);--> statement-breakpoint
CREATE INDEX `webhook_deliveries_lead_idx` ON `webhook_deliveries` (`lead_id`,`status`);--> statement-breakpoint
CREATE TABLE `webhook_receipts` (
	`id` text PRIMARY KEY NOT NULL,
	`created_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
