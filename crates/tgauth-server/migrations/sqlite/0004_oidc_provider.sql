-- The OpenID Connect provider ("log in with tgauth"): clients registered with `tgauth oidc
-- client add` (those of the configuration file live in memory), signing keys, authorization
-- codes, access and refresh tokens, and consents. Codes and tokens are stored as their
-- SHA-256; keys sealed with the data key.

CREATE TABLE oidc_clients (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    secret_hash TEXT,
    redirect_uris TEXT NOT NULL,
    post_logout_redirect_uris TEXT NOT NULL,
    public_client BIGINT NOT NULL,
    trusted BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

-- A key signs from its creation until a newer key of the configured algorithm exists, and is
-- published until remove_at (the overlap in which tokens it signed still verify).
CREATE TABLE oidc_keys (
    kid TEXT PRIMARY KEY,
    alg TEXT NOT NULL,
    sealed BLOB NOT NULL,
    created_at BIGINT NOT NULL,
    remove_at BIGINT
);

-- One row per authorization: its code (single use), and the family every token issued from it
-- belongs to, so that a reused code or refresh token revokes them all.
CREATE TABLE oidc_codes (
    code_hash TEXT PRIMARY KEY,
    family TEXT NOT NULL,
    client_id TEXT NOT NULL,
    telegram_id BIGINT NOT NULL,
    redirect_uri TEXT NOT NULL,
    scope TEXT NOT NULL,
    nonce TEXT,
    code_challenge TEXT,
    auth_time BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX oidc_codes_by_expiry ON oidc_codes (expires_at);

CREATE TABLE oidc_tokens (
    token_hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    family TEXT NOT NULL,
    client_id TEXT NOT NULL,
    telegram_id BIGINT NOT NULL,
    scope TEXT NOT NULL,
    auth_time BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX oidc_tokens_by_family ON oidc_tokens (family);
CREATE INDEX oidc_tokens_by_expiry ON oidc_tokens (expires_at);

CREATE TABLE oidc_consents (
    telegram_id BIGINT NOT NULL,
    client_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (telegram_id, client_id)
);
