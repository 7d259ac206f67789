-- The next value id is also past lead_data_ids' largest id: SQLite moves the sequence on only at
-- the end of a statement, so that rows inserted by one statement (INSERT … VALUES (…), (…)) take
-- ids one after another (src/leads/lead-data-block.ts NEXT_VALUE_ID_SQL, the same expression).
DROP TRIGGER `lead_datas_insert`;--> statement-breakpoint
CREATE TRIGGER `lead_datas_insert` INSTEAD OF INSERT ON `lead_datas` BEGIN
  SELECT RAISE(ABORT, 'UNIQUE constraint failed: lead_datas.lead_id, lead_datas.name')
   WHERE EXISTS (SELECT 1 FROM `lead_datas` WHERE `lead_id` = NEW.`lead_id` AND `name` = NEW.`name`);
  INSERT INTO `lead_data_ids` (`id`, `lead_id`)
  VALUES (coalesce(NEW.`id`, max(coalesce((SELECT `seq` FROM `sqlite_sequence` WHERE `name` = 'lead_data_ids'), 0),
                                 coalesce((SELECT max(`id`) FROM `lead_data_ids`), 0),
                                 coalesce((SELECT `data_id` + json_array_length(`data`) - 1 FROM `leads` WHERE `data_id` IS NOT NULL ORDER BY `data_id` DESC LIMIT 1), 0)) + 1),
          NEW.`lead_id`);
  UPDATE `leads`
     SET `data` = json_insert(coalesce(`data`, '[]'), '$[#]',
           json_array(NEW.`name`, NEW.`value`, nullif(coalesce(NEW.`type`, 'core.data'), 'core.data'),
                      coalesce(NEW.`updated_ts`, NEW.`created_ts`, unixepoch('subsec') * 1000),
                      coalesce(NEW.`created_ts`, unixepoch('subsec') * 1000), last_insert_rowid()))
   WHERE `id` = NEW.`lead_id`;
END;
