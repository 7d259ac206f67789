-- Lead capture's bookkeeping for a new lead, in one statement of its write batch instead of four
-- (src/leads/capture.ts inserts the lead's row here, selected from the lead itself): the trigger
-- moves lead_data_ids' sequence past the lead's block of values, reserves its publisher's place
-- unless the lead is over allocation, and counts it in its campaign's statistics and its day's.
-- The view holds no rows; only the trigger acts.
CREATE VIEW `lead_captures` AS
  SELECT NULL AS `campaign_id`, NULL AS `campaign_publisher_id`, NULL AS `over_allocation`, NULL AS `last_value_id`, NULL AS `day`
   WHERE 0;--> statement-breakpoint
CREATE TRIGGER `lead_captures_insert` INSTEAD OF INSERT ON `lead_captures` BEGIN
  UPDATE `sqlite_sequence` SET `seq` = NEW.`last_value_id`
   WHERE `name` = 'lead_data_ids' AND NEW.`last_value_id` IS NOT NULL;
  UPDATE `campaign_publishers` SET `reserved_leads` = `reserved_leads` + 1
   WHERE `id` = NEW.`campaign_publisher_id` AND NEW.`over_allocation` = 0;
  INSERT INTO `campaign_statistics` (`campaign_id`, `total_leads`, `processing_leads`) VALUES (NEW.`campaign_id`, 1, 1)
    ON CONFLICT (`campaign_id`) DO UPDATE SET `total_leads` = `total_leads` + 1, `processing_leads` = `processing_leads` + 1;
  INSERT INTO `lead_statistics_chronologies` (`campaign_id`, `day`, `total_leads`) VALUES (NEW.`campaign_id`, NEW.`day`, 1)
    ON CONFLICT (`campaign_id`, `day`) DO UPDATE SET `total_leads` = `total_leads` + 1;
END;
