-- A link records whether the website's logged-in owner of the code confirmed the chat: login
-- links are signed and redeemed only for confirmed links. Links stored before read as not
-- confirmed.
ALTER TABLE deeplink_links ADD COLUMN website_confirmed BOOLEAN NOT NULL DEFAULT FALSE;
-- Code state 4, declined by the chat that claimed it, needs no column. The schema version
-- this migration records keeps older builds, which would read it as a malformed record, from
-- opening the database.
