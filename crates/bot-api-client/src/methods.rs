//! The typed Bot API methods: each names its method, says whether a retry may repeat it, and
//! decodes its result type.
//!
//! Idempotent methods (reads, setting a state, an edit, an answer) are repeated on 5xx and
//! timeouts; `sendMessage` only when the request provably never reached the server, so a retry
//! never sends a message twice.

use crate::requests::{
    AnswerCallbackQuery, EditMessageText, GetUpdates, Idempotency, SendMessage, SetWebhook,
};
use crate::transport::lenient_updates;
use crate::types::{ChatFullInfo, File, Message, Recipient, Update, User, WebhookInfo};
use crate::{Client, Error};
use passport_types::errors::PassportElementError;
use serde::Serialize;
use std::time::Duration;
use tgauth_core::UserId;

#[derive(Serialize)]
struct NoParameters {}

impl Client {
    /// `getMe`: the bot's own user.
    pub async fn me(&self) -> Result<User, Error> {
        self.call("getMe", &NoParameters {}, Idempotency::Idempotent)
            .await
    }

    /// `getUpdates`: a long poll. The request timeout is the poll's `timeout` plus the client's
    /// request timeout.
    pub async fn updates(&self, request: &GetUpdates) -> Result<Vec<Update>, Error> {
        let poll = Duration::from_secs(u64::from(request.timeout.unwrap_or(0)));
        self.call_with_timeout(
            "getUpdates",
            request,
            Idempotency::Idempotent,
            poll.saturating_add(self.inner.request_timeout),
            Some(lenient_updates),
        )
        .await
    }

    /// `setWebhook`.
    pub async fn set_webhook(&self, request: &SetWebhook) -> Result<bool, Error> {
        self.call("setWebhook", request, Idempotency::Idempotent)
            .await
    }

    /// `deleteWebhook`; with `drop_pending_updates` the queued updates are discarded.
    pub async fn delete_webhook(&self, drop_pending_updates: bool) -> Result<bool, Error> {
        #[derive(Serialize)]
        struct DeleteWebhook {
            drop_pending_updates: bool,
        }
        self.call(
            "deleteWebhook",
            &DeleteWebhook {
                drop_pending_updates,
            },
            Idempotency::Idempotent,
        )
        .await
    }

    /// `getWebhookInfo`.
    pub async fn webhook_info(&self) -> Result<WebhookInfo, Error> {
        self.call("getWebhookInfo", &NoParameters {}, Idempotency::Idempotent)
            .await
    }

    /// `sendMessage`. Repeated only on 429 or when the request never reached the server, so a
    /// message is never sent twice by a retry.
    pub async fn send_message(&self, request: &SendMessage) -> Result<Message, Error> {
        self.call("sendMessage", request, Idempotency::NotIdempotent)
            .await
    }

    /// `editMessageText`: replaces the text (and keyboard) of a message the bot sent, and
    /// returns the edited message.
    ///
    /// Repeated on 5xx and timeouts: an edit sets a state. When the first attempt did land, the
    /// repeat meets 400 "message is not modified"; so does a redelivered update that edits
    /// again. [`ApiError::is_not_modified`](crate::error::ApiError::is_not_modified) tells it
    /// apart, and the message then shows what was asked.
    pub async fn edit_message_text(&self, request: &EditMessageText) -> Result<Message, Error> {
        self.call("editMessageText", request, Idempotency::Idempotent)
            .await
    }

    /// `answerCallbackQuery`: answers a press on an inline button (see
    /// [`AnswerCallbackQuery`]). Repeated on 5xx and timeouts: a second answer shows nothing
    /// more, though Telegram may refuse it as answered already.
    pub async fn answer_callback_query(
        &self,
        request: &AnswerCallbackQuery,
    ) -> Result<bool, Error> {
        self.call("answerCallbackQuery", request, Idempotency::Idempotent)
            .await
    }

    /// `getChat`: up-to-date information about a chat, such as the name and username of the
    /// user of a private chat (whose chat id is the user's id).
    pub async fn chat(&self, chat_id: impl Into<Recipient>) -> Result<ChatFullInfo, Error> {
        #[derive(Serialize)]
        struct GetChat {
            chat_id: Recipient,
        }
        let parameters = GetChat {
            chat_id: chat_id.into(),
        };
        self.call("getChat", &parameters, Idempotency::Idempotent)
            .await
    }

    /// `getFile`: prepares a file for download.
    pub async fn file(&self, file_id: &str) -> Result<File, Error> {
        #[derive(Serialize)]
        struct GetFile<'a> {
            file_id: &'a str,
        }
        self.call("getFile", &GetFile { file_id }, Idempotency::Idempotent)
            .await
    }

    /// `setPassportDataErrors`: tells the user which Passport elements must be fixed; they
    /// cannot re-submit the passport until the errors are resolved.
    pub async fn set_passport_data_errors(
        &self,
        user_id: UserId,
        errors: &[PassportElementError],
    ) -> Result<bool, Error> {
        #[derive(Serialize)]
        struct SetPassportDataErrors<'a> {
            user_id: UserId,
            errors: &'a [PassportElementError],
        }
        let parameters = SetPassportDataErrors { user_id, errors };
        self.call(
            "setPassportDataErrors",
            &parameters,
            Idempotency::Idempotent,
        )
        .await
    }
}
