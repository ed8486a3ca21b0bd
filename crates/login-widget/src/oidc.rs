//! OpenID Connect relying party for oauth.telegram.org: authorization URL with PKCE, `id_token` validation.
