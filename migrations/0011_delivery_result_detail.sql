-- Deliveries to the client's CRM: the job result's message and the lead note become one generic
-- outcome line that publishers may read; the CRM's answer moves to the admin-only detail (job
-- result) and reason (note). Integration job types at the time: convertr_connect, http_integration.
UPDATE `processr_job_leads`
   SET `detail` = `message`,
       `message` = CASE `status` WHEN 'passed' THEN 'Delivered to the client.' ELSE 'Not delivered to the client.' END
 WHERE `detail` IS NULL
   AND `campaign_processr_job_id` IN (SELECT `id` FROM `campaign_processr_jobs` WHERE `type` IN ('convertr_connect', 'http_integration'));
--> statement-breakpoint
UPDATE `lead_notes`
   SET `reason` = CASE WHEN `note` LIKE 'Delivered by %' THEN substr(`note`, 14) ELSE substr(`note`, 18) END,
       `note` = CASE WHEN `note` LIKE 'Delivered by %' THEN 'Delivered to the client.' ELSE 'Not delivered to the client.' END
 WHERE `author` LIKE 'integration:%' AND `reason` IS NULL AND (`note` LIKE 'Delivered by %' OR `note` LIKE 'Delivery failed: %');
