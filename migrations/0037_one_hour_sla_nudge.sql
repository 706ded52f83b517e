-- Before 0034 a 1-hour-SLA vendor's lead had to be 0 hours (below the SLA), so 0034 carried it over
-- as 0 minutes: never nudged. Such a vendor takes the default a 1-hour SLA has since, 30 minutes.
UPDATE `vendors` SET `nudge_lead_minutes` = 30 WHERE `dispatch_sla_hours` = 1 AND `nudge_lead_minutes` = 0;
