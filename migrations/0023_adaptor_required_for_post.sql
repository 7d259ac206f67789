ALTER TABLE `adaptors` ADD `send_all_values` integer DEFAULT false NOT NULL;--> statement-breakpoint
-- An adaptor is now required for POST HTTP integrations (Convoso Connect: "If the Request Method
-- is POST, we need to select the Adaptor ID"). Every POST integration saved without one gets its
-- own, named after the job: its inline rows (normalised as the adaptor write stores them), or,
-- without rows, an adaptor that sends every captured value, which is what it sent until now.
-- migrated_job_id ties each new adaptor to its job for the update and is dropped afterwards.
ALTER TABLE `adaptors` ADD `migrated_job_id` integer;
--> statement-breakpoint
INSERT INTO `adaptors` (`name`, `fields`, `send_all_values`, `migrated_job_id`)
SELECT
  'Integration "' || substr(j.label, 1, 200) || '" (job ' || j.id || ')',
  CASE WHEN coalesce(json_array_length(j.config, '$.fields'), 0) > 0 THEN (
    SELECT json_group_array(json(CASE
      WHEN json_type(r.value, '$.label') = 'text' THEN json_object(
        'label', json_extract(r.value, '$.label'), 'field', trim(json_extract(r.value, '$.field')),
        'mappedTo', coalesce(json_extract(r.value, '$.mappedTo'), ''), 'defaultValue', coalesce(json_extract(r.value, '$.defaultValue'), ''))
      ELSE json_object(
        'field', trim(json_extract(r.value, '$.field')),
        'mappedTo', coalesce(json_extract(r.value, '$.mappedTo'), ''), 'defaultValue', coalesce(json_extract(r.value, '$.defaultValue'), ''))
    END))
    FROM json_each(j.config, '$.fields') r
  ) ELSE '[]' END,
  coalesce(json_array_length(j.config, '$.fields'), 0) = 0,
  j.id
FROM `campaign_processr_jobs` j
WHERE j.type = 'http_integration'
  -- CASE, not AND: json_extract must not see a config that is not JSON.
  AND CASE WHEN json_valid(j.config) THEN
        json_type(j.config, '$.adaptorId') IS NULL
        AND coalesce(json_extract(j.config, '$.method'), 'POST') = 'POST'
        AND coalesce(json_type(j.config, '$.fields'), 'array') = 'array'
      ELSE 0 END
ORDER BY j.id;
--> statement-breakpoint
UPDATE `campaign_processr_jobs`
SET `config` = json_set(json_remove(`config`, '$.fields'), '$.adaptorId',
  (SELECT a.`id` FROM `adaptors` a WHERE a.`migrated_job_id` = `campaign_processr_jobs`.`id`))
WHERE `id` IN (SELECT `migrated_job_id` FROM `adaptors` WHERE `migrated_job_id` IS NOT NULL);
--> statement-breakpoint
ALTER TABLE `adaptors` DROP COLUMN `migrated_job_id`;
