//! The bot's RSA private key: loading, generation, public key export; zeroized on drop and redacted in `Debug`.
