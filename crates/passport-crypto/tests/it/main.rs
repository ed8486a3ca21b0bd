//! Integration tests of passport-crypto: real vectors, keys, round trips, tampering, arbitrary
//! input, nonces and scope checks. Tests that involve RSA run once per compiled-in backend.

// Tests fail loudly on broken fixtures; unwrap and expect are how they do it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

mod arbitrary;
mod files;
mod keys;
mod memory;
mod nonce;
mod roundtrip;
mod sample;
mod snapshots;
mod tampering;
mod vectors;
