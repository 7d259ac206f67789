DROP TABLE `lead_notes`;--> statement-breakpoint
-- Trail text 39 (src/processr/trail-texts.ts): the Processr's outcome note, filled in from the note's to_flag, reason and author.
INSERT INTO `trail_texts` (`id`, `text`) VALUES (39, 'Processr outcome %s (%s) by %s.');--> statement-breakpoint
-- Lead notes (docs/storage.md): a row of lead_note_rows with its note, or with note_text
-- instead, the trail text its own to_flag, the head of its reason (up to the ';', first letter in
-- lower case) and author fill in. The triggers store a note that way only when this view gives it
-- back exactly (the same expression), otherwise as written.
CREATE VIEW `lead_notes` AS
  SELECT r.`id`, r.`lead_id`, r.`user_id`, r.`author`,
         coalesce(r.`note`, (SELECT printf(x.`text`, r.`to_flag`, lower(substr(r.`reason`, 1, 1)) || substr(r.`reason`, 2, instr(r.`reason`, ';') - 2), r.`author`)
                               FROM `trail_texts` x WHERE x.`id` = r.`note_text`)) AS `note`,
         r.`from_flag`, r.`to_flag`, r.`reason`, r.`created_ts`
    FROM `lead_note_rows` r;--> statement-breakpoint
CREATE TRIGGER `lead_notes_insert` INSTEAD OF INSERT ON `lead_notes` BEGIN
  SELECT RAISE(ABORT, 'NOT NULL constraint failed: lead_notes.note') WHERE NEW.`note` IS NULL;
  INSERT INTO `lead_note_rows` (`id`, `lead_id`, `user_id`, `author`, `note`, `from_flag`, `to_flag`, `reason`, `created_ts`, `note_text`)
  SELECT NEW.`id`, NEW.`lead_id`, NEW.`user_id`, NEW.`author`, iif(c.`rebuilt`, NULL, NEW.`note`), NEW.`from_flag`, NEW.`to_flag`, NEW.`reason`,
         coalesce(NEW.`created_ts`, unixepoch('subsec') * 1000), iif(c.`rebuilt`, 39, NULL)
    FROM (SELECT coalesce(NEW.`note` = (SELECT printf(x.`text`, NEW.`to_flag`, lower(substr(NEW.`reason`, 1, 1)) || substr(NEW.`reason`, 2, instr(NEW.`reason`, ';') - 2), NEW.`author`)
                                          FROM `trail_texts` x WHERE x.`id` = 39), 0) AS `rebuilt`) c;
END;--> statement-breakpoint
CREATE TRIGGER `lead_notes_update` INSTEAD OF UPDATE ON `lead_notes` BEGIN
  SELECT RAISE(ABORT, 'NOT NULL constraint failed: lead_notes.note') WHERE NEW.`note` IS NULL;
  UPDATE `lead_note_rows`
     SET `id` = NEW.`id`, `lead_id` = NEW.`lead_id`, `user_id` = NEW.`user_id`, `author` = NEW.`author`, `note` = iif(c.`rebuilt`, NULL, NEW.`note`),
         `from_flag` = NEW.`from_flag`, `to_flag` = NEW.`to_flag`, `reason` = NEW.`reason`, `created_ts` = NEW.`created_ts`, `note_text` = iif(c.`rebuilt`, 39, NULL)
    FROM (SELECT coalesce(NEW.`note` = (SELECT printf(x.`text`, NEW.`to_flag`, lower(substr(NEW.`reason`, 1, 1)) || substr(NEW.`reason`, 2, instr(NEW.`reason`, ';') - 2), NEW.`author`)
                                          FROM `trail_texts` x WHERE x.`id` = 39), 0) AS `rebuilt`) c
   WHERE `lead_note_rows`.`id` = OLD.`id`;
END;--> statement-breakpoint
CREATE TRIGGER `lead_notes_delete` INSTEAD OF DELETE ON `lead_notes` BEGIN
  DELETE FROM `lead_note_rows` WHERE `id` = OLD.`id`;
END;
