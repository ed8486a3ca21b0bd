//! Webhook bodies and the `X-Telegram-Bot-Api-Secret-Token` check.
