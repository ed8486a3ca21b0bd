-- A link records since when the bot cannot reach its chat (a 403: the person blocked the bot or
-- deleted their account); NULL while it can. Links stored before read as active.
ALTER TABLE deeplink_links ADD COLUMN inactive_since BIGINT;
