//! What a bot receives in `Message.passport_data`: `PassportData`, `EncryptedPassportElement`,
//! `PassportFile` and `EncryptedCredentials`, every field as the Bot API sends it.
