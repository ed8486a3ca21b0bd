//! The crate's one error: a configuration value or a received text that is not what it claims.

/// Why a value of this crate was refused. Neither variant quotes the value: a near-miss of a
/// token is still a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A bot token is not `<bot id>:<secret>` as @BotFather issues it.
    #[error(
        "bot token is not of the form <bot id>:<secret> (a positive decimal id, then 30 to 64 characters of A-Z a-z 0-9 _ -)"
    )]
    InvalidBotToken,
    /// A `%` is not followed by two hexadecimal digits.
    #[error("invalid percent-encoding")]
    InvalidPercentEncoding,
    /// Percent-decoded bytes are not UTF-8.
    #[error("percent-decoded text is not UTF-8")]
    InvalidUtf8,
}
