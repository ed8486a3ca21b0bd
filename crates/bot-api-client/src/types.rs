//! Bot API types: Update, Message, User, Chat, File, WebhookInfo, keyboards.
