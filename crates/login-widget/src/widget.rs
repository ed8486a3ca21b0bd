//! The Login Widget: check string, HMAC-SHA-256 under SHA256(bot token), freshness policy, signer and embed code.
