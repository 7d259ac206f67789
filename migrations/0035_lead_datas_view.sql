DROP TABLE `lead_datas`;--> statement-breakpoint
-- One row per value of a lead (src/leads/lead-data-block.ts): each entry of leads.data, its id
-- data_id + its place, or its sixth part. A deleted entry of the block is a JSON null, so the ids
-- after it stay. No UNION: a condition on lead_id, correlated or joined, reads that lead's row only.
CREATE VIEW `lead_datas` AS
  SELECT coalesce(e.value ->> 5, l.`data_id` + e.key) AS `id`, l.`id` AS `lead_id`, e.value ->> 0 AS `name`,
         coalesce(e.value ->> 1, l.`lead_hash`) AS `value`,
         iif(json_array_length(e.value) = 1, 'system', coalesce(e.value ->> 2, 'core.data')) AS `type`,
         coalesce(e.value ->> 4, l.`created_ts`) AS `created_ts`, coalesce(e.value ->> 3, e.value ->> 4, l.`created_ts`) AS `updated_ts`
    FROM `leads` l, json_each(l.`data`) e
   WHERE l.`data` IS NOT NULL AND e.type = 'array';--> statement-breakpoint
-- A new value: an entry with its id (given, or the next of lead_data_ids' sequence) appended to
-- its lead's row in one statement; a name the lead has already fails, as the table's unique index did.
CREATE TRIGGER `lead_datas_insert` INSTEAD OF INSERT ON `lead_datas` BEGIN
  SELECT RAISE(ABORT, 'UNIQUE constraint failed: lead_datas.lead_id, lead_datas.name')
   WHERE EXISTS (SELECT 1 FROM `lead_datas` WHERE `lead_id` = NEW.`lead_id` AND `name` = NEW.`name`);
  INSERT INTO `lead_data_ids` (`id`, `lead_id`) VALUES (NEW.`id`, NEW.`lead_id`);
  UPDATE `leads`
     SET `data` = json_insert(coalesce(`data`, '[]'), '$[#]',
           json_array(NEW.`name`, NEW.`value`, nullif(coalesce(NEW.`type`, 'core.data'), 'core.data'),
                      coalesce(NEW.`updated_ts`, NEW.`created_ts`, unixepoch('subsec') * 1000),
                      coalesce(NEW.`created_ts`, unixepoch('subsec') * 1000), last_insert_rowid()))
   WHERE `id` = NEW.`lead_id`;
END;--> statement-breakpoint
-- A value keeps its id and its lead; its entry is rewritten in place, in one statement on the
-- lead's row (two writes to one lead's values never lose each other).
CREATE TRIGGER `lead_datas_update` INSTEAD OF UPDATE ON `lead_datas` BEGIN
  SELECT RAISE(ABORT, 'A lead''s value keeps its id and its lead.') WHERE NEW.`id` IS NOT OLD.`id` OR NEW.`lead_id` IS NOT OLD.`lead_id`;
  UPDATE `leads`
     SET `data` = json_replace(`data`, p.`path`,
           CASE
             WHEN EXISTS (SELECT 1 FROM `lead_data_ids` WHERE `id` = OLD.`id`)
               THEN json_array(NEW.`name`, NEW.`value`, nullif(NEW.`type`, 'core.data'), NEW.`updated_ts`, NEW.`created_ts`, OLD.`id`)
             WHEN NEW.`type` = 'system' AND NEW.`value` = `lead_hash` AND NEW.`created_ts` = `created_ts` AND NEW.`updated_ts` = `created_ts`
               THEN json_array(NEW.`name`)
             WHEN NEW.`created_ts` IS NOT `created_ts`
               THEN json_array(NEW.`name`, NEW.`value`, nullif(NEW.`type`, 'core.data'), NEW.`updated_ts`, NEW.`created_ts`)
             WHEN NEW.`updated_ts` IS NOT `created_ts` THEN json_array(NEW.`name`, NEW.`value`, nullif(NEW.`type`, 'core.data'), NEW.`updated_ts`)
             WHEN NEW.`type` IS NOT 'core.data' THEN json_array(NEW.`name`, NEW.`value`, NEW.`type`)
             ELSE json_array(NEW.`name`, NEW.`value`)
           END)
    FROM (SELECT '$[' || e.key || ']' AS `path` FROM `leads` l, json_each(l.`data`) e
           WHERE l.`id` = OLD.`lead_id` AND e.type = 'array' AND coalesce(e.value ->> 5, l.`data_id` + e.key) = OLD.`id`) p
   WHERE `id` = OLD.`lead_id`;
END;--> statement-breakpoint
-- A value added later leaves its lead's row; one of the block becomes null, so that the ids of
-- the block's entries after it stay (added values always follow the block).
CREATE TRIGGER `lead_datas_delete` INSTEAD OF DELETE ON `lead_datas` BEGIN
  UPDATE `leads`
     SET `data` = iif(EXISTS (SELECT 1 FROM `lead_data_ids` WHERE `id` = OLD.`id`), json_remove(`data`, p.`path`), json_replace(`data`, p.`path`, NULL))
    FROM (SELECT '$[' || e.key || ']' AS `path` FROM `leads` l, json_each(l.`data`) e
           WHERE l.`id` = OLD.`lead_id` AND e.type = 'array' AND coalesce(e.value ->> 5, l.`data_id` + e.key) = OLD.`id`) p
   WHERE `id` = OLD.`lead_id`;
  DELETE FROM `lead_data_ids` WHERE `id` = OLD.`id`;
END;
