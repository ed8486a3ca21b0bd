-- The fast consume is one UPDATE; this trigger writes its link inside the same statement.
-- Only that UPDATE sets `fast_linked_at`, so the general path (which writes links itself)
-- never fires it.
ALTER TABLE deeplink_codes ADD COLUMN fast_linked_at INTEGER;
CREATE TRIGGER deeplink_codes_fast_link AFTER UPDATE OF state ON deeplink_codes
     WHEN NEW.fast_linked_at IS NOT NULL AND OLD.state <> 2 AND NEW.state = 2
     BEGIN
        INSERT INTO deeplink_links (telegram_user_id, chat_id, user_id, linked_at)
        VALUES (NEW.telegram_user_id, NEW.chat_id, NEW.user_id, NEW.fast_linked_at);
     END;
