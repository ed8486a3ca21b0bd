//! `NonceIssuer`: HMAC-SHA-256 nonces that bind a user and an expiry, verified in constant time.
