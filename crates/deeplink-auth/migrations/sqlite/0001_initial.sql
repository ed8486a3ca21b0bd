CREATE TABLE deeplink_codes (
        hash BLOB PRIMARY KEY NOT NULL,
        user_id TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        state INTEGER NOT NULL,
        telegram_user_id INTEGER,
        chat_id INTEGER
    ) WITHOUT ROWID;
CREATE INDEX deeplink_codes_expires_at ON deeplink_codes (expires_at);
CREATE TABLE deeplink_links (
        telegram_user_id INTEGER PRIMARY KEY NOT NULL,
        chat_id INTEGER NOT NULL,
        user_id TEXT NOT NULL,
        linked_at INTEGER NOT NULL
    );
CREATE INDEX deeplink_links_user_id ON deeplink_links (user_id);
CREATE TABLE deeplink_login_uses (
        id BLOB PRIMARY KEY NOT NULL,
        expires_at INTEGER NOT NULL
    ) WITHOUT ROWID;
