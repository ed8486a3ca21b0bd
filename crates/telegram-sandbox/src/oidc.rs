//! The OpenID Connect provider: discovery, auth, token and JWKS endpoints.
