-- A link records since when the bot cannot reach its chat (a 403: the person blocked the bot or
-- deleted their account); NULL while it can. Links stored before read as active. The check
-- keeps anything but an integer time out of the column: SQLite would store text as it is.
ALTER TABLE deeplink_links ADD COLUMN inactive_since INTEGER
    CHECK (inactive_since IS NULL OR typeof(inactive_since) = 'integer');
