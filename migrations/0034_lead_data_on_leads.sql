CREATE TABLE `lead_data_ids` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`lead_id` integer NOT NULL,
	FOREIGN KEY (`lead_id`) REFERENCES `leads`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `lead_data_ids_lead_idx` ON `lead_data_ids` (`lead_id`);--> statement-breakpoint
ALTER TABLE `leads` ADD `data_id` integer;--> statement-breakpoint
ALTER TABLE `leads` ADD `data` text;--> statement-breakpoint
CREATE INDEX `leads_data_id_idx` ON `leads` (`data_id`) WHERE data_id IS NOT NULL;--> statement-breakpoint
-- Existing values (issue 18) move onto their lead's row (src/leads/lead-data-block.ts). A lead's
-- values from its first id on, while their ids run on without a gap (capture wrote them in one
-- statement), are its block: entries [name, value, type, updated, created] numbered from data_id,
-- trailing parts left out when the view derives them (type core.data, times the lead's creation;
-- [name] alone is the lead's hash). The others follow with their id as a sixth part, and keep it
-- in lead_data_ids.
UPDATE `leads` SET `data_id` = b.`first_id`, `data` = b.`entries`
  FROM (SELECT r.`lead_id`, min(r.`id`) AS `first_id`, json_group_array(json(r.`entry`) ORDER BY r.`id`) AS `entries`
          FROM (SELECT d.`id`, d.`lead_id`,
                       CASE
                         WHEN d.`id` - min(d.`id`) OVER w + 1 <> row_number() OVER w
                           THEN json_array(d.`name`, d.`value`, nullif(d.`type`, 'core.data'), d.`updated_ts`, d.`created_ts`, d.`id`)
                         WHEN d.`type` = 'system' AND d.`value` = l.`lead_hash` AND d.`created_ts` = l.`created_ts` AND d.`updated_ts` = l.`created_ts`
                           THEN json_array(d.`name`)
                         WHEN d.`created_ts` IS NOT l.`created_ts`
                           THEN json_array(d.`name`, d.`value`, nullif(d.`type`, 'core.data'), d.`updated_ts`, d.`created_ts`)
                         WHEN d.`updated_ts` IS NOT l.`created_ts`
                           THEN json_array(d.`name`, d.`value`, nullif(d.`type`, 'core.data'), d.`updated_ts`)
                         WHEN d.`type` IS NOT 'core.data' THEN json_array(d.`name`, d.`value`, d.`type`)
                         ELSE json_array(d.`name`, d.`value`)
                       END AS `entry`
                  FROM `lead_datas` d JOIN `leads` l ON l.`id` = d.`lead_id`
                WINDOW w AS (PARTITION BY d.`lead_id` ORDER BY d.`id`)) r
         GROUP BY r.`lead_id`) b
 WHERE `leads`.`id` = b.`lead_id`;--> statement-breakpoint
INSERT INTO `lead_data_ids` (`id`, `lead_id`)
  SELECT e.value ->> 5, l.`id` FROM `leads` l, json_each(l.`data`) e
   WHERE l.`data` IS NOT NULL AND e.value ->> 5 IS NOT NULL
   ORDER BY 1;--> statement-breakpoint
-- Blocks take their ids from lead_data_ids' sequence (capture moves it on by a block's length),
-- which goes on from lead_datas' own.
INSERT INTO `sqlite_sequence` (`name`, `seq`)
  SELECT 'lead_data_ids', 0 WHERE NOT EXISTS (SELECT 1 FROM `sqlite_sequence` WHERE `name` = 'lead_data_ids');--> statement-breakpoint
UPDATE `sqlite_sequence` SET `seq` = max(`seq`, coalesce((SELECT max(`seq`) FROM `sqlite_sequence` WHERE `name` = 'lead_datas'), 0))
 WHERE `name` = 'lead_data_ids';
