//! Cross-crate end-to-end tests for tgauth live in `tests/`; this library is empty on purpose.
