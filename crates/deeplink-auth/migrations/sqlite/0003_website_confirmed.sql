-- A link records whether the website's logged-in owner of the code confirmed the chat: login
-- links are signed and redeemed only for confirmed links. Links stored before read as not
-- confirmed.
ALTER TABLE deeplink_links ADD COLUMN website_confirmed INTEGER NOT NULL DEFAULT 0
    CHECK (website_confirmed IN (0, 1));
-- The fast consume's UPDATE hands the confirmation to its trigger through this column.
ALTER TABLE deeplink_codes ADD COLUMN fast_website_confirmed INTEGER;
DROP TRIGGER deeplink_codes_fast_link;
CREATE TRIGGER deeplink_codes_fast_link AFTER UPDATE OF state ON deeplink_codes
    WHEN NEW.fast_linked_at IS NOT NULL AND OLD.state <> 2 AND NEW.state = 2
    BEGIN
        INSERT INTO deeplink_links
            (telegram_user_id, chat_id, user_id, linked_at, website_confirmed)
        VALUES (NEW.telegram_user_id, NEW.chat_id, NEW.user_id, NEW.fast_linked_at,
            COALESCE(NEW.fast_website_confirmed, 0));
    END;
-- Code state 4, declined by the chat that claimed it, needs no column. The schema version
-- this migration records keeps older builds, which would read it as a malformed record, from
-- opening the database.
