CREATE TABLE `campaign_notes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`campaign_id` integer NOT NULL,
	`campaign_publisher_id` integer,
	`user_id` integer,
	`author` text NOT NULL,
	`note` text NOT NULL,
	`created_ts` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `campaign_notes_campaign_idx` ON `campaign_notes` (`campaign_id`,`id`);--> statement-breakpoint
ALTER TABLE `campaign_publishers` ADD `reserved_leads` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `processr_job_leads` ADD `detail` text;--> statement-breakpoint
-- Allocation reservations of the leads already stored (the rule of allocationReserved in src/leads/statistics.ts).
UPDATE `campaign_publishers` SET `reserved_leads` = (
  SELECT count(*) FROM `leads` l
   WHERE l.campaign_id = campaign_publishers.campaign_id AND l.publisher_id = campaign_publishers.publisher_id
     AND l.deleted_ts IS NULL AND l.over_allocation = 0
     AND ((l.flag IS NULL AND l.processr_status < 500) OR l.flag = 'Valid')
);--> statement-breakpoint
-- A lead's email is its form's email-type field, whatever its name, stored trimmed and lower-cased.
UPDATE `leads` SET `email` = (
  SELECT lower(trim(d.value)) FROM `lead_datas` d
    JOIN `form_fields` ff ON ff.form_id = leads.form_id AND ff.name = d.name AND ff.type = 'email'
   WHERE d.lead_id = leads.id AND trim(d.value) <> ''
   ORDER BY ff.position, ff.id LIMIT 1
) WHERE `email` IS NULL;--> statement-breakpoint
UPDATE `leads` SET `email` = lower(trim(`email`)) WHERE `email` <> lower(trim(`email`));
