//! Sealing as the Telegram app does: random secrets and padding, RSA-OAEP to the bot's public key.
