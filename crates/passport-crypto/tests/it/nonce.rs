//! nonce tests.
