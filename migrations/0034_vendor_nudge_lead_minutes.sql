ALTER TABLE `vendors` ADD `nudge_lead_minutes` integer DEFAULT 360 NOT NULL;--> statement-breakpoint
-- Every vendor keeps the lead it had: its hours, now counted in minutes.
UPDATE `vendors` SET `nudge_lead_minutes` = `nudge_lead_hours` * 60;
