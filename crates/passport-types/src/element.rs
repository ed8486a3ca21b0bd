//! The element types of Telegram Passport (`personal_details`, `passport`, ... `email`), with
//! Telegram's exact strings and the spec's classification of each (identity document, address
//! document, plain data).
