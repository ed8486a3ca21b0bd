//! The Bot API: update ids, offset confirmation, long polling, webhooks, files, Telegram's envelope.
