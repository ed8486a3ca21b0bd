CREATE TABLE deeplink_codes (
        hash BYTEA PRIMARY KEY,
        user_id TEXT NOT NULL,
        expires_at BIGINT NOT NULL,
        state BIGINT NOT NULL,
        telegram_user_id BIGINT,
        chat_id BIGINT
    );
CREATE INDEX deeplink_codes_expires_at ON deeplink_codes (expires_at);
CREATE TABLE deeplink_links (
        telegram_user_id BIGINT PRIMARY KEY,
        chat_id BIGINT NOT NULL,
        user_id TEXT NOT NULL,
        linked_at BIGINT NOT NULL
    );
CREATE INDEX deeplink_links_user_id ON deeplink_links (user_id);
CREATE TABLE deeplink_login_uses (
        id BYTEA PRIMARY KEY,
        expires_at BIGINT NOT NULL
    );
