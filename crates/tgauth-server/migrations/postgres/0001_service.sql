-- The service's own tables (the link store keeps its deeplink_* tables beside them).
-- Times are Unix seconds; ids the service makes are random text.

CREATE TABLE telegram_users (
    telegram_id BIGINT PRIMARY KEY,
    first_name TEXT,
    last_name TEXT,
    username TEXT,
    photo_url TEXT,
    updated_at BIGINT NOT NULL
);

-- Browser sessions: the cookie holds a random id, the table its SHA-256 (a copy of the
-- database logs nobody in).
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    telegram_id BIGINT,
    method TEXT,
    data TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (telegram_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- Login data already used (widget hashes, initData hashes, OIDC states), until it expires.
CREATE TABLE login_replays (
    digest TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);

-- OpenID Connect logins in progress, keyed by the SHA-256 of their state.
CREATE TABLE oidc_flows (
    state_hash TEXT PRIMARY KEY,
    sealed BYTEA NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

-- The last code issued for a website user, sealed with the data key, so that the website can
-- see and decide the pending confirmation by user.
CREATE TABLE link_requests (
    account TEXT PRIMARY KEY,
    sealed_code BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- Outboxes: a row is written before its effect, claimed with a lease, and finished once.
CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    lease_until BIGINT,
    created_at BIGINT NOT NULL,
    finished_at BIGINT,
    error TEXT
);
CREATE INDEX notifications_due ON notifications (status, next_attempt_at);

CREATE TABLE events (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    lease_until BIGINT,
    created_at BIGINT NOT NULL,
    delivered_at BIGINT,
    error TEXT
);
CREATE INDEX events_due ON events (status, next_attempt_at);

-- Passport requests and what answered them. Decrypted data and files are sealed with the
-- data key (AES-256-GCM); the nonce is looked up by its SHA-256.
CREATE TABLE passport_requests (
    id TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    telegram_id BIGINT NOT NULL,
    nonce_hash TEXT NOT NULL UNIQUE,
    scope TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    received_at BIGINT,
    sealed_data BYTEA,
    missing TEXT,
    erase_after BIGINT
);

CREATE TABLE passport_files (
    request_id TEXT NOT NULL,
    file_index BIGINT NOT NULL,
    element TEXT NOT NULL,
    part TEXT NOT NULL,
    sealed BYTEA NOT NULL,
    PRIMARY KEY (request_id, file_index)
);

CREATE TABLE passport_audit (
    id TEXT PRIMARY KEY,
    request_id TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX passport_audit_by_request ON passport_audit (request_id, at);

-- The polling lease (one replica polls at a time) and its durable offset.
CREATE TABLE bot_lease (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE bot_offset (
    name TEXT PRIMARY KEY,
    next_offset BIGINT NOT NULL,
    saved_at BIGINT NOT NULL
);

-- Updates handled (webhook redeliveries are handled once).
CREATE TABLE handled_updates (
    update_id BIGINT PRIMARY KEY,
    state TEXT NOT NULL,
    lease_until BIGINT NOT NULL,
    handled_at BIGINT
);
