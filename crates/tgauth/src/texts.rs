//! What the bot says: every message and button label of the update handler, replaceable.

/// The bot's messages and button labels. `{account}` in a text is replaced by the website
/// account's display label; plain text, no markup.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Texts {
    /// Asked after `/start <code>`: link this chat to the account?
    pub confirm_link: String,
    /// The button that confirms.
    pub confirm_button: String,
    /// The button that declines.
    pub decline_button: String,
    /// After the chat confirmed, when the website's owner confirms next.
    pub awaiting_website: String,
    /// The link is made.
    pub linked: String,
    /// The chat declined.
    pub declined: String,
    /// The code is past its expiry.
    pub code_expired: String,
    /// The code is unknown (never issued, purged, or malformed).
    pub code_unknown: String,
    /// Someone else used or claimed the code.
    pub code_used: String,
    /// This Telegram account is linked to another website account.
    pub conflict: String,
    /// `/start` without a code from a chat that is not linked.
    pub welcome: String,
    /// `/login` from a chat that is not linked (or whose link the website did not confirm).
    pub not_linked: String,
    /// The message that carries a login link.
    pub login_link: String,
    /// The login link's button.
    pub login_button: String,
    /// `/start` with a code outside a private chat.
    pub private_only: String,
    /// A Passport submission was accepted.
    pub passport_received: String,
    /// A Passport submission needs fixing (the app shows the details).
    pub passport_incomplete: String,
    /// A Passport submission was refused (not for this bot, or an unknown or expired request).
    pub passport_refused: String,
}

impl Default for Texts {
    fn default() -> Self {
        Self {
            confirm_link: "Link this Telegram account to {account}?".to_owned(),
            confirm_button: "Link".to_owned(),
            decline_button: "Cancel".to_owned(),
            awaiting_website: "Almost done: confirm the link on the website where you are logged in as {account}.".to_owned(),
            linked: "This Telegram account is now linked to {account}.".to_owned(),
            declined: "Cancelled: nothing was linked.".to_owned(),
            code_expired: "This link has expired. Get a new one on the website.".to_owned(),
            code_unknown: "This link is not valid. Get a new one on the website.".to_owned(),
            code_used: "This link was already used.".to_owned(),
            conflict: "This Telegram account is already linked to another account.".to_owned(),
            welcome: "Hello! To link this Telegram account, open the link shown on the website.".to_owned(),
            not_linked: "This Telegram account is not linked to an account yet. Link it from the website first.".to_owned(),
            login_link: "Here is your login link for {account}. It works once and expires soon.".to_owned(),
            login_button: "Log in".to_owned(),
            private_only: "Please open the link in a private chat with the bot.".to_owned(),
            passport_received: "Thank you: your documents were received.".to_owned(),
            passport_incomplete: "Some documents need your attention: please check Telegram Passport.".to_owned(),
            passport_refused: "These documents could not be accepted. Please start again from the website.".to_owned(),
        }
    }
}

impl Texts {
    /// `text` with `{account}` replaced by `account`.
    pub(crate) fn fill(text: &str, account: &str) -> String {
        text.replace("{account}", account)
    }
}
