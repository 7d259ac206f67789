CREATE TABLE `lead_flags` (
	`id` integer PRIMARY KEY NOT NULL,
	`name` text NOT NULL
);
--> statement-breakpoint
ALTER TABLE `campaigns` ADD `expose_publisher` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `campaigns` ADD `expose_publisher_sub` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `campaigns` ADD `welcome_email` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `campaigns` ADD `send_voucher` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `campaigns` ADD `send_mediakit` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `campaigns` ADD `conversion_rate` text DEFAULT '1.0000' NOT NULL;--> statement-breakpoint
ALTER TABLE `campaigns` ADD `end_ts_extension` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `campaigns` ADD `value_based_routing` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `campaigns` ADD `auto_sign_publisher` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `campaigns` ADD `variable_publisher_payout` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `campaigns` ADD `use_scheduled_delivery` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `campaigns` ADD `allow_publisher_import_export` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `campaigns` ADD `publisher_terms` text;--> statement-breakpoint
ALTER TABLE `campaigns` ADD `purchase_order` text;--> statement-breakpoint
ALTER TABLE `campaigns` ADD `reference_number` text;--> statement-breakpoint
ALTER TABLE `campaigns` ADD `default_sale_value` text DEFAULT '0.00' NOT NULL;--> statement-breakpoint
ALTER TABLE `campaigns` ADD `default_sale_currency` text;--> statement-breakpoint
ALTER TABLE `campaigns` ADD `account_manager_id` integer REFERENCES users(id);--> statement-breakpoint
ALTER TABLE `campaigns` ADD `campaign_manager_id` integer REFERENCES users(id);--> statement-breakpoint
ALTER TABLE `campaigns` ADD `facebook_offline_event_set_id` text;--> statement-breakpoint
ALTER TABLE `campaigns` ADD `facebook_system_user_access_token` text;