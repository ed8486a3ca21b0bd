//! The `Store` trait: issue and atomically consume codes, links by website and Telegram user.
