//! End-to-end tests of flows that cross crate boundaries, through the `tgauth` umbrella crate.

// Tests fail loudly on broken fixtures; panicking on them is the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bot_api;
mod flows;
