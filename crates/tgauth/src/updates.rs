//! The bot's side of the three flows: one handler for every Bot API update.
//!
//! [`UpdateHandler::handle`] takes an [`Update`] from polling or a webhook and does what it
//! means:
//!
//! - `/start <code>` in a private chat goes through the [`Linker`]: the bot asks "Link this
//!   Telegram account to X?" with an inline keyboard whose buttons carry the code; the press
//!   comes back as a callback query, answered with `answerCallbackQuery`, and the message is
//!   then edited to show the result (linked, waiting for the website's confirmation, declined,
//!   or why not).
//! - `/start` without a code and `/login`: a linked chat whose link the website confirmed gets a
//!   signed single-use login link; others are told how to link.
//! - `passport_data` goes through the [`PassportReceiver`].
//!
//! `Ok` means the update's effects are committed (the store written, the replies sent) and it
//! may be acknowledged; `Err` means they may not be, and the update must come again: polling
//! answers with a `nack`, a webhook with a non-2xx status. Every step is safe to repeat: a
//! redelivered `/start` or button press reads as what it already did.

use std::future::Future;
use std::sync::Arc;

use bot_api_client::Client;
use bot_api_client::polling::{Event, Updates};
use bot_api_client::requests::{AnswerCallbackQuery, EditMessageText, SendMessage};
use bot_api_client::types::{
    CallbackQuery, ChatType, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update,
    UpdateKind,
};
use deeplink_auth::code::LinkCode;
use deeplink_auth::linker::{Confirmed, StartOutcome};
use deeplink_auth::login::LoginLinkKey;
use deeplink_auth::login::SignError;
use deeplink_auth::start::StartMessage;
use deeplink_auth::store::{Link, Linked, Store};
use deeplink_auth::{AccountId, Error as LinkError, Linker, TelegramIdentity, Ttl};
use futures_util::StreamExt as _;
use tgauth_core::{ChatId, Clock, UnixTime};

use crate::reception::{PassportReceiver, Reception};
use crate::{Error, Identity, Texts};

/// The prefix of the callback data of the confirmation buttons: `tgauth:link:<code>` and
/// `tgauth:decline:<code>` (at most 47 bytes, under Telegram's 64).
const CALLBACK_PREFIX: &str = "tgauth:";

/// What handling an update did, for the application to record or act on.
#[derive(Debug)]
#[non_exhaustive]
pub enum Handled {
    /// Nothing for this handler: another kind of update, a group message, an unknown command,
    /// a button that is not ours.
    Ignored,
    /// `/start <code>`: the bot asked the chat to confirm the link to `account`.
    ConfirmationAsked {
        /// The website account the code belongs to.
        account: AccountId,
        /// Who pressed the link.
        claimer: Identity,
    },
    /// The chat confirmed; the website's logged-in owner confirms next.
    AwaitingWebsite {
        /// The website account.
        account: AccountId,
        /// The chat that confirmed.
        telegram: TelegramIdentity,
    },
    /// The link is committed (or stood already).
    Linked(Linked),
    /// The chat declined the code; it is dead.
    Declined {
        /// The chat that declined.
        telegram: TelegramIdentity,
    },
    /// The code was refused and the chat told why.
    LinkRefused(LinkError),
    /// A login link was sent to the chat.
    LoginLinkSent {
        /// The link it logs in to.
        link: Link,
    },
    /// `/start` without a code or `/login` from a chat that is not linked (or whose link the
    /// website did not confirm): told how to link.
    NotLinked {
        /// The chat.
        telegram: TelegramIdentity,
    },
    /// Passport data: received or rejected.
    Passport(Reception),
    /// An update whose handling failed on every delivery ([`PollingConfig::max_attempts`]
    /// when polling): it is not delivered again. Record it for a person to look at.
    ///
    /// [`PollingConfig::max_attempts`]: bot_api_client::polling::PollingConfig::max_attempts
    DeadLetter {
        /// The update.
        update: Box<Update>,
        /// How many times it was delivered.
        attempts: u32,
    },
}

/// How login links are made: the key that signs them, the website URL that redeems them, and
/// how long they live.
#[derive(Debug, Clone)]
pub struct LoginLinks {
    key: Arc<LoginLinkKey>,
    url: String,
    ttl: Ttl,
}

impl LoginLinks {
    /// Links to `url` (the website's redeeming endpoint; `token=<token>` is appended to its
    /// query) signed with `key`, valid ten minutes.
    pub fn new(key: Arc<LoginLinkKey>, url: impl Into<String>) -> Self {
        Self {
            key,
            url: url.into(),
            ttl: Ttl::LOGIN_DEFAULT,
        }
    }

    /// Sets how long a login link lives.
    pub fn with_ttl(mut self, ttl: Ttl) -> Self {
        self.ttl = ttl;
        self
    }
}

/// Handles Bot API updates for one bot: linking, login links, Passport reception.
#[derive(Debug)]
pub struct UpdateHandler<S> {
    client: Client,
    linker: Linker<S>,
    clock: Arc<dyn Clock>,
    login_links: Option<LoginLinks>,
    passport: Option<PassportReceiver>,
    texts: Texts,
}

impl<S: Clone> Clone for UpdateHandler<S> {
    fn clone(&self) -> Self {
        Self {
            client: self.client.clone(),
            linker: self.linker.clone(),
            clock: Arc::clone(&self.clock),
            login_links: self.login_links.clone(),
            passport: self.passport.clone(),
            texts: self.texts.clone(),
        }
    }
}

impl<S: Store> UpdateHandler<S> {
    /// A handler that links through `linker`, talks through `client` and reads `clock`; no
    /// login links and no Passport until configured.
    pub fn new(client: Client, linker: Linker<S>, clock: Arc<dyn Clock>) -> Self {
        Self {
            client,
            linker,
            clock,
            login_links: None,
            passport: None,
            texts: Texts::default(),
        }
    }

    /// Sends login links on `/login` (and `/start` without a code) to linked chats.
    pub fn with_login_links(mut self, login_links: LoginLinks) -> Self {
        self.login_links = Some(login_links);
        self
    }

    /// Receives Passport data.
    pub fn with_passport(mut self, receiver: PassportReceiver) -> Self {
        self.passport = Some(receiver);
        self
    }

    /// Replaces what the bot says.
    pub fn with_texts(mut self, texts: Texts) -> Self {
        self.texts = texts;
        self
    }

    /// The Bot API client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The linker.
    pub fn linker(&self) -> &Linker<S> {
        &self.linker
    }

    /// Polls `updates` until `shutdown` resolves or the stream ends, handling one update at a
    /// time and handing each result to `on_handled` (the application records what it needs:
    /// a received passport, a new link). An update is acknowledged, durably when the poller has
    /// an offset store, only after both succeeded; otherwise it comes again, up to the poller's
    /// `max_attempts`, then arrives as [`Handled::DeadLetter`].
    ///
    /// Returns `Ok` after confirming the acknowledged updates to Telegram when `shutdown`
    /// resolves or the stream ends, and [`Error::Bot`] when polling cannot go on (401: the token
    /// was revoked; 409: a webhook is set or another poller runs).
    pub async fn run_polling<F, Fut, E>(
        &self,
        mut updates: Updates,
        shutdown: impl Future<Output = ()>,
        mut on_handled: F,
    ) -> Result<(), Error>
    where
        F: FnMut(i64, Handled) -> Fut,
        Fut: Future<Output = Result<(), E>>,
        E: std::fmt::Display,
    {
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            let event = tokio::select! {
                () = &mut shutdown => break,
                event = updates.next() => event,
            };
            let Some(event) = event else { break };
            match event.map_err(Error::Bot)? {
                Event::Delivery(delivery) => {
                    let update_id = delivery.update_id();
                    match self.handle(&delivery.update).await {
                        Ok(handled) => match on_handled(update_id, handled).await {
                            Ok(()) => delivery.ack_durably().await.map_err(Error::Bot)?,
                            Err(error) => {
                                tracing::warn!(update_id, %error, "the application failed an update; it comes again");
                                delivery.nack();
                            }
                        },
                        Err(error) => {
                            tracing::warn!(update_id, error = %error, "an update could not be handled; it comes again");
                            delivery.nack();
                        }
                    }
                }
                Event::DeadLetter(dead) => {
                    let update_id = dead.update_id();
                    let handled = Handled::DeadLetter {
                        update: Box::new(dead.update.clone()),
                        attempts: dead.attempts(),
                    };
                    match on_handled(update_id, handled).await {
                        Ok(()) => dead.ack_durably().await.map_err(Error::Bot)?,
                        Err(error) => {
                            // Dropped unacknowledged, the dead letter holds the offset and is
                            // handed over again after a restart.
                            tracing::warn!(update_id, %error, "the application failed a dead letter");
                        }
                    }
                }
                _ => {}
            }
        }
        updates.shutdown().await.map_err(Error::Bot)?;
        Ok(())
    }

    /// An axum router that receives webhook deliveries at `path` (`POST`, the secret checked as
    /// `config` says), handles each update and hands the result to `on_handled`; a failure of
    /// either answers non-2xx, so Telegram delivers the update again.
    #[cfg(feature = "bot-api-client-axum")]
    pub fn webhook_router<F, Fut, E>(
        &self,
        path: &str,
        config: bot_api_client::webhook::WebhookConfig,
        on_handled: F,
    ) -> axum::Router
    where
        S: Clone + Send + Sync + 'static,
        F: Fn(i64, Handled) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: std::fmt::Display + Send + 'static,
    {
        let handler = self.clone();
        bot_api_client::webhook::router(path, config, move |update: Update| {
            let handler = handler.clone();
            let on_handled = on_handled.clone();
            async move {
                let handled = handler
                    .handle(&update)
                    .await
                    .map_err(|error| error.to_string())?;
                on_handled(update.update_id, handled)
                    .await
                    .map_err(|error| error.to_string())
            }
        })
    }

    /// Handles one update (see the module docs for what `Ok` and `Err` promise).
    pub async fn handle(&self, update: &Update) -> Result<Handled, Error> {
        let now = self.clock.now();
        match &update.kind {
            UpdateKind::Message(message) => self.message(message, now).await,
            UpdateKind::CallbackQuery(query) => self.callback_query(query, now).await,
            _ => Ok(Handled::Ignored),
        }
    }

    async fn message(&self, message: &Message, now: UnixTime) -> Result<Handled, Error> {
        if message.passport_data.is_some() {
            return self.passport(message, now).await;
        }
        let Some(text) = message.text.as_deref() else {
            return Ok(Handled::Ignored);
        };
        let start = StartMessage {
            chat_id: message.chat.id,
            chat_type: chat_type_name(message.chat.kind).to_owned(),
            user_id: message.from.as_ref().map(|from| from.id),
            text: text.to_owned(),
        };
        let chat = message.chat.id;
        match self.linker.handle_start(&start, now).await {
            Ok(StartOutcome::Ignored) => {}
            Ok(StartOutcome::NotPrivate) => {
                self.say(chat, &self.texts.private_only).await?;
                return Ok(Handled::Ignored);
            }
            Ok(StartOutcome::Welcome) => {
                return match start.identity() {
                    Ok(telegram) => self.login_link(telegram, true, now).await,
                    Err(_) => Ok(Handled::Ignored),
                };
            }
            Ok(StartOutcome::ConfirmationNeeded { account, code, .. }) => {
                let claimer = Identity::from_message(message, now)?;
                let text = Texts::fill(&self.texts.confirm_link, account.as_str());
                let keyboard = InlineKeyboardMarkup::new(vec![vec![
                    InlineKeyboardButton::callback(
                        self.texts.confirm_button.clone(),
                        format!("{CALLBACK_PREFIX}link:{}", code.expose()),
                    ),
                    InlineKeyboardButton::callback(
                        self.texts.decline_button.clone(),
                        format!("{CALLBACK_PREFIX}decline:{}", code.expose()),
                    ),
                ]]);
                self.send(SendMessage::new(chat, text).reply_markup(keyboard))
                    .await?;
                return Ok(Handled::ConfirmationAsked { account, claimer });
            }
            Ok(StartOutcome::AwaitingWebsite { account, .. }) => {
                // The linker answers this only for a private chat, whose identity is valid.
                let Ok(telegram) = start.identity() else {
                    return Ok(Handled::Ignored);
                };
                let text = Texts::fill(&self.texts.awaiting_website, account.as_str());
                self.say(chat, &text).await?;
                return Ok(Handled::AwaitingWebsite { account, telegram });
            }
            Ok(StartOutcome::Linked(linked)) => {
                let text = Texts::fill(&self.texts.linked, linked.link.account.as_str());
                self.say(chat, &text).await?;
                return Ok(Handled::Linked(linked));
            }
            Ok(_) => return Ok(Handled::Ignored),
            Err(error) => return self.refused(chat, error).await,
        }
        if is_command(text, "login") && message.chat.kind == ChatType::Private {
            return match start.identity() {
                Ok(telegram) => self.login_link(telegram, false, now).await,
                Err(_) => Ok(Handled::Ignored),
            };
        }
        Ok(Handled::Ignored)
    }

    /// Sends a login link to a linked, website-confirmed chat; `welcome` when the chat said
    /// `/start` without a code (an unlinked chat is then welcomed rather than told off).
    async fn login_link(
        &self,
        telegram: TelegramIdentity,
        welcome: bool,
        now: UnixTime,
    ) -> Result<Handled, Error> {
        let chat = telegram.chat_id();
        let link = self
            .linker
            .store()
            .link_of_telegram_user(telegram.user_id())
            .await
            .map_err(LinkError::from)?
            .filter(|link| link.telegram == telegram);
        if link
            .as_ref()
            .is_some_and(|link| link.inactive_since.is_some())
        {
            // The person writes to the bot again, so it can reach them again.
            self.linker
                .store()
                .mark_link_active(telegram.user_id())
                .await
                .map_err(LinkError::from)?;
        }
        let (Some(login_links), Some(link)) = (&self.login_links, link) else {
            let text = if welcome {
                &self.texts.welcome
            } else {
                &self.texts.not_linked
            };
            self.say(chat, text).await?;
            return Ok(Handled::NotLinked { telegram });
        };
        let token = match login_links.key.sign(&link, login_links.ttl, now) {
            Ok(token) => token,
            Err(SignError::NotWebsiteConfirmed) => {
                self.say(chat, &self.texts.not_linked).await?;
                return Ok(Handled::NotLinked { telegram });
            }
            Err(error) => return Err(Error::Sign(error)),
        };
        let text = Texts::fill(&self.texts.login_link, link.account.as_str());
        let keyboard = InlineKeyboardMarkup::new(vec![vec![InlineKeyboardButton::url(
            self.texts.login_button.clone(),
            token.url(&login_links.url),
        )]]);
        self.send(SendMessage::new(chat, text).reply_markup(keyboard))
            .await?;
        Ok(Handled::LoginLinkSent { link })
    }

    async fn callback_query(&self, query: &CallbackQuery, now: UnixTime) -> Result<Handled, Error> {
        let Some((action, code)) = query
            .data
            .as_deref()
            .and_then(|data| data.strip_prefix(CALLBACK_PREFIX))
            .and_then(|data| data.split_once(':'))
        else {
            return Ok(Handled::Ignored);
        };
        // A button of ours carries a code the linker made; anything else is not ours to answer.
        let Some(code) = LinkCode::parse(code) else {
            return Ok(Handled::Ignored);
        };
        // The chat is the private chat with the presser: a private chat has its user's id.
        let chat = query
            .message
            .as_ref()
            .map_or(ChatId::from(query.from.id), |message| message.chat.id);
        let Ok(telegram) = TelegramIdentity::new(query.from.id, chat) else {
            self.answer(query, None).await?;
            return Ok(Handled::Ignored);
        };
        let (handled, text) = match action {
            "link" => match self.linker.confirm(&code, telegram, now).await {
                Ok(Confirmed::Linked(linked)) => {
                    let text = Texts::fill(&self.texts.linked, linked.link.account.as_str());
                    (Handled::Linked(linked), text)
                }
                Ok(Confirmed::AwaitingWebsite { account }) => {
                    let text = Texts::fill(&self.texts.awaiting_website, account.as_str());
                    (Handled::AwaitingWebsite { account, telegram }, text)
                }
                Ok(_) => (Handled::Ignored, String::new()),
                Err(error) => match self.refusal_text(&error) {
                    Some(text) => (Handled::LinkRefused(error), text.to_owned()),
                    None => return Err(error.into()),
                },
            },
            "decline" => match self.linker.decline(&code, telegram, now).await {
                Ok(_) => (Handled::Declined { telegram }, self.texts.declined.clone()),
                Err(error) => match self.refusal_text(&error) {
                    Some(text) => (Handled::LinkRefused(error), text.to_owned()),
                    None => return Err(error.into()),
                },
            },
            _ => return Ok(Handled::Ignored),
        };
        self.answer(query, Some(&text)).await?;
        if let Some(message) = &query.message {
            self.edit(message, &text).await?;
        }
        Ok(handled)
    }

    async fn passport(&self, message: &Message, now: UnixTime) -> Result<Handled, Error> {
        let Some(receiver) = &self.passport else {
            return Ok(Handled::Ignored);
        };
        let reception = receiver.receive(&self.client, message, now).await?;
        let text = match &reception {
            Reception::Received(_) => &self.texts.passport_received,
            Reception::Rejected {
                rejection: crate::Rejection::Fixable { .. },
                ..
            } => &self.texts.passport_incomplete,
            Reception::Rejected { .. } => &self.texts.passport_refused,
        };
        self.say(message.chat.id, text).await?;
        Ok(Handled::Passport(reception))
    }

    /// The chat is told why a code was refused; `None` for a failure that is not a verdict (the
    /// store was unavailable), which the caller returns as an error.
    fn refusal_text(&self, error: &LinkError) -> Option<&str> {
        Some(match error {
            LinkError::Expired => &self.texts.code_expired,
            LinkError::Unknown => &self.texts.code_unknown,
            LinkError::AlreadyUsed => &self.texts.code_used,
            LinkError::Conflict => &self.texts.conflict,
            LinkError::Declined => &self.texts.declined,
            _ => return None,
        })
    }

    async fn refused(&self, chat: ChatId, error: LinkError) -> Result<Handled, Error> {
        match self.refusal_text(&error) {
            Some(text) => {
                self.say(chat, text).await?;
                Ok(Handled::LinkRefused(error))
            }
            None => Err(error.into()),
        }
    }

    async fn say(&self, chat: ChatId, text: &str) -> Result<(), Error> {
        self.send(SendMessage::new(chat, text)).await
    }

    /// Sends a reply. A chat that blocked the bot cannot be told anything, and telling it again
    /// on a redelivery would not help: 403 counts as done.
    async fn send(&self, message: SendMessage) -> Result<(), Error> {
        match self.client.send_message(&message).await {
            Ok(_) => Ok(()),
            Err(error) if is_forbidden(&error) => Ok(()),
            Err(error) => Err(Error::Bot(error)),
        }
    }

    async fn answer(&self, query: &CallbackQuery, text: Option<&str>) -> Result<(), Error> {
        let mut answer = AnswerCallbackQuery::new(query.id.clone());
        if let Some(text) = text {
            answer = answer.text(text);
        }
        match self.client.answer_callback_query(&answer).await {
            Ok(_) => Ok(()),
            // A query older than Telegram keeps it (or answered already on an earlier delivery)
            // answers 400; the edited message still shows the result.
            Err(error) if is_bad_request(&error) || is_forbidden(&error) => Ok(()),
            Err(error) => Err(Error::Bot(error)),
        }
    }

    async fn edit(&self, message: &Message, text: &str) -> Result<(), Error> {
        let edit = EditMessageText::new(message.chat.id, message.message_id, text);
        match self.client.edit_message_text(&edit).await {
            Ok(_) => Ok(()),
            Err(error)
                if error.api().is_some_and(|api| api.is_not_modified()) || is_forbidden(&error) =>
            {
                Ok(())
            }
            Err(error) => Err(Error::Bot(error)),
        }
    }
}

/// Telegram's name of a chat type, as [`StartMessage`] holds it.
fn chat_type_name(kind: ChatType) -> &'static str {
    match kind {
        ChatType::Private => "private",
        ChatType::Group => "group",
        ChatType::Supergroup => "supergroup",
        ChatType::Channel => "channel",
        _ => "unknown",
    }
}

/// Whether `text` is the command `/<name>` (optionally `/<name>@bot`), alone or with arguments.
fn is_command(text: &str, name: &str) -> bool {
    text.split_whitespace()
        .next()
        .and_then(|word| word.strip_prefix('/'))
        .map(|word| word.split_once('@').map_or(word, |(command, _)| command))
        .is_some_and(|command| command.eq_ignore_ascii_case(name))
}

fn is_forbidden(error: &bot_api_client::Error) -> bool {
    error.api_kind() == Some(bot_api_client::error::ApiErrorKind::Forbidden)
}

fn is_bad_request(error: &bot_api_client::Error) -> bool {
    error.api_kind() == Some(bot_api_client::error::ApiErrorKind::BadRequest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_recognised_with_or_without_the_bot_name() {
        assert!(is_command("/login", "login"));
        assert!(is_command("  /LOGIN@my_bot now", "login"));
        assert!(!is_command("/loginx", "login"));
        assert!(!is_command("login", "login"));
        assert!(!is_command("", "login"));
    }
}
