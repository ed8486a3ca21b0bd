//! The bot token: the secret that keys every Login Widget and Mini App check.

use std::fmt;

use zeroize::Zeroizing;

use crate::LoginError;

/// A bot token as @BotFather issues it: `<bot id>:<secret>`.
///
/// The token is the HMAC key material of every widget and first-party Mini App check, so it never
/// appears in `Debug` output or errors, and its bytes are zeroized on drop.
#[derive(Clone)]
pub struct BotToken {
    token: Zeroizing<String>,
    bot_id: u64,
}

impl BotToken {
    /// Checks the `<bot id>:<secret>` shape: a decimal bot id, a colon, a non-empty secret without
    /// whitespace.
    pub fn new(token: impl Into<String>) -> Result<Self, LoginError> {
        let token = Zeroizing::new(token.into());
        let Some((id, secret)) = token.split_once(':') else {
            return Err(LoginError::InvalidBotToken);
        };
        let id_ok = !id.is_empty() && id.len() <= 20 && id.bytes().all(|b| b.is_ascii_digit());
        let secret_ok = !secret.is_empty() && !secret.bytes().any(|b| b.is_ascii_whitespace());
        let bot_id = match id.parse::<u64>() {
            Ok(bot_id) if id_ok && secret_ok => bot_id,
            _ => return Err(LoginError::InvalidBotToken),
        };
        Ok(Self { token, bot_id })
    }

    /// The bot's numeric id: the part before the colon. It is public (it is the OIDC client id
    /// and the third-party Mini App check's prefix).
    pub fn bot_id(&self) -> u64 {
        self.bot_id
    }

    /// The whole token. Use it only to derive keys or to call the Bot API.
    pub fn dangerous_expose(&self) -> &str {
        &self.token
    }
}

impl fmt::Debug for BotToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BotToken")
            .field("bot_id", &self.bot_id)
            .field("secret", &"<redacted>")
            .finish()
    }
}

impl std::str::FromStr for BotToken {
    type Err = LoginError;

    fn from_str(token: &str) -> Result<Self, Self::Err> {
        Self::new(token)
    }
}
