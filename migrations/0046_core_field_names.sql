-- Leads captured before their core values were recognised under the names forms use besides
-- Convertr's (src/leads/core-fields.ts: surname, forename, phone, zip, a telephone-type field, …)
-- get the copies they lack; a column already set is kept. Only leads holding one of the newly
-- recognised names are touched. The typed field is found from d.lead_id: SQLite cannot resolve
-- the outer row in the ORDER BY of a subquery over the view lead_datas.
UPDATE `leads` SET
  `first_name` = coalesce(`first_name`, (SELECT d.`value` FROM `lead_datas` d
    WHERE d.`lead_id` = `leads`.`id` AND d.`value` <> '' AND d.`name` IN ('first_name', 'forename', 'givenName')
    ORDER BY CASE d.`name` WHEN 'first_name' THEN 1 WHEN 'forename' THEN 2 ELSE 3 END LIMIT 1)),
  `last_name` = coalesce(`last_name`, (SELECT d.`value` FROM `lead_datas` d
    WHERE d.`lead_id` = `leads`.`id` AND d.`value` <> '' AND d.`name` IN ('last_name', 'surname', 'familyName')
    ORDER BY CASE d.`name` WHEN 'last_name' THEN 1 WHEN 'surname' THEN 2 ELSE 3 END LIMIT 1)),
  `telephone` = coalesce(`telephone`, (SELECT d.`value` FROM `lead_datas` d
    WHERE d.`lead_id` = `leads`.`id` AND d.`value` <> ''
      AND (d.`name` IN ('phone', 'mobile', 'phoneNumber', 'mobilePhone')
           OR d.`name` = (SELECT ff.`name` FROM `leads` l JOIN `form_fields` ff ON ff.`form_id` = l.`form_id`
                                WHERE l.`id` = d.`lead_id` AND ff.`type` = 'telephone' ORDER BY ff.`position`, ff.`id` LIMIT 1))
    ORDER BY CASE WHEN d.`name` = (SELECT ff.`name` FROM `leads` l JOIN `form_fields` ff ON ff.`form_id` = l.`form_id`
                                WHERE l.`id` = d.`lead_id` AND ff.`type` = 'telephone' ORDER BY ff.`position`, ff.`id` LIMIT 1) THEN 0
                  WHEN d.`name` = 'phone' THEN 1 WHEN d.`name` = 'mobile' THEN 2 WHEN d.`name` = 'phoneNumber' THEN 3 ELSE 4 END LIMIT 1)),
  `postcode` = coalesce(`postcode`, (SELECT d.`value` FROM `lead_datas` d
    WHERE d.`lead_id` = `leads`.`id` AND d.`value` <> '' AND d.`name` IN ('postCode', 'postalCode', 'zip', 'zipCode')
    ORDER BY CASE d.`name` WHEN 'postCode' THEN 1 WHEN 'postalCode' THEN 2 WHEN 'zip' THEN 3 ELSE 4 END LIMIT 1))
 WHERE `data` IS NOT NULL
   AND (`first_name` IS NULL OR `last_name` IS NULL OR `telephone` IS NULL OR `postcode` IS NULL)
   AND EXISTS (SELECT 1 FROM json_each(`leads`.`data`) e
                WHERE e.`type` = 'array' AND (e.`value` ->> 0 IN ('first_name', 'forename', 'givenName', 'last_name', 'surname', 'familyName',
                                                                 'phone', 'mobile', 'phoneNumber', 'mobilePhone', 'postCode', 'postalCode', 'zip', 'zipCode')
                     OR e.`value` ->> 0 IN (SELECT ff.`name` FROM `form_fields` ff WHERE ff.`form_id` = `leads`.`form_id` AND ff.`type` = 'telephone')));
