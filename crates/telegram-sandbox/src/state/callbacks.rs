//! Inline buttons: a user's press becomes a `callback_query` update, which the bot answers
//! once with `answerCallbackQuery`.

use serde_json::Value;
use tgauth_core::{BotId, ChatId, UserId};

use super::{Bot, State};
use crate::{
    control::{ButtonPress, CallbackAnswer},
    error::ControlError,
    types::{CallbackQuery, SentMessage, Update},
};

impl Bot {
    /// The message `message_id` the bot sent to the private chat with `user_id`, as it is now.
    pub(crate) fn sent_message_mut(
        &mut self,
        user_id: UserId,
        message_id: i64,
    ) -> Option<&mut SentMessage> {
        let chat = ChatId::from(user_id);
        self.sent
            .iter_mut()
            .rev()
            .find(|sent| sent.message.chat.id == chat && sent.message.message_id == message_id)
    }

    /// Records the answer to the pending query `callback_query_id`; `false` when there is none
    /// (unknown, another bot's, or answered already), and nothing is recorded.
    pub(crate) fn answer_callback_query(
        &mut self,
        callback_query_id: String,
        text: Option<String>,
        show_alert: bool,
        url: Option<String>,
    ) -> bool {
        let Some(user_id) = self.callback_queries.remove(&callback_query_id) else {
            return false;
        };
        self.callback_answers.push(CallbackAnswer {
            callback_query_id,
            user_id,
            text,
            show_alert,
            url,
        });
        true
    }
}

impl State {
    /// A user presses a callback button of a message the bot sent them; returns the queued
    /// `callback_query` update. Telegram delivers only presses of buttons that exist, so the
    /// message must be the bot's, in the user's private chat, and its current inline keyboard
    /// must have a button with exactly this `callback_data`.
    pub(crate) fn press_button(
        &mut self,
        username: &str,
        press: ButtonPress,
    ) -> Result<Update, ControlError> {
        self.bot_id(username)?;
        let unknown_message = || ControlError::UnknownMessage {
            user_id: press.user_id,
            message_id: press.message_id,
        };
        // A press on a message that was never sent creates no user on the fly.
        let user = self
            .users
            .get(&press.user_id)
            .cloned()
            .ok_or_else(unknown_message)?;
        // Counted even if refused below: ids only need to be unique.
        self.next_callback_query = self.next_callback_query.saturating_add(1);
        let number = self.next_callback_query;
        let bot = self.bot_mut(username)?;
        let bot_id = bot.token.bot_id();
        if bot.chats.get(&user.id).is_some_and(|chat| chat.blocked) {
            return Err(ControlError::Blocked { user_id: user.id });
        }
        let message = bot
            .sent_message_mut(user.id, press.message_id)
            .map(|sent| sent.message.clone())
            .ok_or_else(unknown_message)?;
        if !has_callback_button(message.reply_markup.as_ref(), &press.data) {
            return Err(ControlError::UnknownButton {
                message_id: press.message_id,
            });
        }
        let id = callback_query_id(bot_id, number);
        bot.callback_queries.insert(id.clone(), user.id);
        let query = CallbackQuery {
            id,
            chat_instance: chat_instance(bot_id, user.id),
            from: user,
            message: Some(message),
            data: Some(press.data),
        };
        Ok(bot.push(|update| update.callback_query = Some(query)))
    }
}

/// Whether an inline keyboard has a callback button with exactly `data`.
fn has_callback_button(markup: Option<&Value>, data: &str) -> bool {
    let rows = markup
        .and_then(|markup| markup.get("inline_keyboard"))
        .and_then(Value::as_array);
    rows.into_iter()
        .flatten()
        .filter_map(Value::as_array)
        .flatten()
        .any(|button| button.get("callback_data").and_then(Value::as_str) == Some(data))
}

/// A query id: numeric, unique across the sandbox's bots, as Telegram's look.
fn callback_query_id(bot_id: BotId, number: u64) -> String {
    format!("{}{number:012}", bot_id.get())
}

/// The chat instance of the private chat between a bot and a user: the same for every press
/// in that chat, different for every other chat.
fn chat_instance(bot_id: BotId, user_id: UserId) -> String {
    format!("-{}{:016}", bot_id.get(), user_id.get())
}
