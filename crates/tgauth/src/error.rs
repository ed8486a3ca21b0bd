//! The composing layer's one error: a refusal of login data, a link that failed, a Bot API call
//! that failed, or a missing configuration.

use crate::IdentitySource;

/// What went wrong in the composing layer.
///
/// Refusals of untrusted input ([`Error::Login`], [`Error::IdToken`], [`Error::NoTelegramId`],
/// and the verdicts inside [`Error::Link`]) are the person's; the others are the service's
/// (an unavailable store or Bot API, a missing configuration).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Login Widget or Mini App data were refused.
    #[error("login data refused")]
    Login(#[from] login_widget::Error),
    /// An OpenID Connect `id_token` was refused.
    #[error("id_token refused")]
    IdToken(#[from] login_widget::oidc::IdTokenError),
    /// Verified data that name no Telegram user: an `id_token` without the numeric `id` claim,
    /// Mini App data without `user`, a message that is not from a person's private chat.
    #[error("{origin} data name no telegram user")]
    NoTelegramId {
        /// Where the data came from.
        origin: IdentitySource,
    },
    /// A part of the layer the application did not configure was asked for.
    #[error("{what} is not configured")]
    NotConfigured {
        /// What is missing.
        what: &'static str,
    },
    /// Linking refused a code or a login link, or its store failed.
    #[error("account linking failed")]
    Link(#[from] deeplink_auth::Error),
    /// A login link could not be signed (the OS random generator failed).
    #[error("login link not signed")]
    Sign(#[source] deeplink_auth::login::SignError),
    /// A Bot API call failed.
    #[error("bot api call failed")]
    Bot(#[source] bot_api_client::Error),
    /// The account has no linked chat to send to.
    #[error("the account has no linked telegram chat")]
    NotLinked,
    /// The message carries no Passport data.
    #[error("the message carries no passport data")]
    NotPassport,
    /// The application's lookup of Passport requests failed.
    #[error("passport request lookup failed")]
    Requests(#[source] crate::BoxError),
}
