//! arbitrary tests.
