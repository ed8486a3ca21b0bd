//! The sandbox's errors: starting and stopping it, control operations it refuses, and calls of
//! the [`crate::ControlClient`].

use std::{io, net::SocketAddr, path::PathBuf};

use tgauth_core::UserId;

/// Why the sandbox could not start, persist its state or stop.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The listening socket could not be bound.
    #[error("could not listen on {addr}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// The state file could not be read or written.
    #[error("could not access the state file {}", path.display())]
    StateFile {
        /// The state file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// The state file exists but does not hold a sandbox state.
    #[error("the state file {} is not a sandbox state", path.display())]
    StateFormat {
        /// The state file.
        path: PathBuf,
        /// What the JSON parser found.
        #[source]
        source: serde_json::Error,
    },
    /// The HTTP client for webhook delivery could not be built.
    #[error("could not build the webhook HTTP client: {reason}")]
    HttpClient {
        /// What went wrong.
        reason: String,
    },
}

/// Why a control operation (creating a bot, a user, a message...) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ControlError {
    /// No bot has this username.
    #[error("no bot with username {username:?}")]
    UnknownBot {
        /// The username asked for.
        username: String,
    },
    /// The bot token does not have the shape @BotFather issues (the token is not quoted).
    #[error("invalid bot token: {reason}")]
    InvalidToken {
        /// What is wrong with it.
        reason: tgauth_core::Error,
    },
    /// The username is not 1 to 32 characters of A-Z a-z 0-9 _.
    #[error("invalid username {username:?}: 1 to 32 characters of A-Z a-z 0-9 _")]
    InvalidUsername {
        /// The username given.
        username: String,
    },
    /// A bot or user with this id or username already exists with different details.
    #[error("{what} already exists")]
    AlreadyExists {
        /// What clashed, such as `bot 123` or `username @x`.
        what: String,
    },
    /// A user id must be positive.
    #[error("invalid user id {id}: user ids are positive")]
    InvalidUserId {
        /// The id given.
        id: UserId,
    },
    /// A user's first name must not be empty.
    #[error("a user's first_name must be 1 to 64 characters")]
    InvalidFirstName,
    /// A message a user sends must have 1 to 4096 characters.
    #[error("message text must be 1 to 4096 characters, got {length}")]
    InvalidText {
        /// The length given, in UTF-16 code units.
        length: usize,
    },
    /// The user blocked the bot and cannot message it.
    #[error("user {user_id} blocked the bot")]
    Blocked {
        /// The user.
        user_id: UserId,
    },
    /// The bot sent no message with this id to the user's private chat.
    #[error("the bot sent no message {message_id} to the private chat with user {user_id}")]
    UnknownMessage {
        /// The user whose private chat was searched.
        user_id: UserId,
        /// The message id given.
        message_id: i64,
    },
    /// The message's current inline keyboard has no callback button with the data given (the
    /// data is not quoted: it may carry a code).
    #[error("message {message_id} has no inline button with this callback_data")]
    UnknownButton {
        /// The message whose keyboard was searched.
        message_id: i64,
    },
    /// A fault specification is unusable.
    #[error("invalid fault: {reason}")]
    InvalidFault {
        /// What is wrong.
        reason: String,
    },
    /// The request body is not what the endpoint expects.
    #[error("invalid request: {reason}")]
    InvalidRequest {
        /// What is wrong.
        reason: String,
    },
    /// A feature of the sandbox is not available in this build.
    #[error("not available: {reason}")]
    Unavailable {
        /// Why.
        reason: String,
    },
}

/// Why a [`crate::ControlClient`] call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ControlClientError {
    /// The sandbox could not be reached or the connection failed.
    #[error("could not reach the sandbox at {url}: {reason}")]
    Transport {
        /// The control URL called.
        url: String,
        /// What failed.
        reason: String,
    },
    /// The sandbox refused the operation.
    #[error("the sandbox refused {url} with {status}: {description}")]
    Refused {
        /// The control URL called.
        url: String,
        /// The HTTP status (the envelope's `error_code`).
        status: u16,
        /// The envelope's `description`.
        description: String,
    },
    /// The answer was not the expected envelope.
    #[error("the sandbox answered {url} with something unexpected: {reason}")]
    Decode {
        /// The control URL called.
        url: String,
        /// What was wrong.
        reason: String,
    },
}
