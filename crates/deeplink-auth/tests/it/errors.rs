//! Every error message, with its cause chain, as a snapshot: the words people read when
//! something goes wrong, and proof that no code or token leaks into them.

use deeplink_auth::login::{LoginLinkKey, SignError};
use deeplink_auth::store::StoreError;
use deeplink_auth::{AccountId, BotUsername, Error, InputError, Ttl};
use tgauth_tests::cause_chain;

#[test]
fn error_messages() {
    let io = || {
        Box::new(std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "connection refused",
        ))
    };
    let errors: Vec<Box<dyn std::error::Error>> = vec![
        Box::new(BotUsername::new("abot").unwrap_err()),
        Box::new(BotUsername::new("tgauth").unwrap_err()),
        Box::new(deeplink_auth::link::validate_payload("a b").unwrap_err()),
        Box::new(AccountId::new("").unwrap_err()),
        Box::new(Ttl::from_seconds(0).unwrap_err()),
        Box::new(LoginLinkKey::new(b"short").unwrap_err()),
        Box::new(InputError::Identity {
            reason: "links are made in private chats only",
        }),
        Box::new(Error::Unknown),
        Box::new(Error::Expired),
        Box::new(Error::AlreadyUsed),
        Box::new(Error::Declined),
        Box::new(Error::Conflict),
        Box::new(Error::NotConfirmed),
        Box::new(Error::LoginLinkExpired),
        Box::new(Error::LoginLinkUsed),
        Box::new(Error::InvalidLoginLink),
        Box::new(Error::NotLinked),
        Box::new(Error::NotWebsiteConfirmed),
        Box::new(SignError::NotWebsiteConfirmed),
        Box::new(SignError::Random),
        Box::new(Error::Store(StoreError::Unavailable {
            backend: "postgres",
            source: io(),
        })),
        Box::new(StoreError::Backend {
            backend: "sqlite",
            source: io(),
        }),
        Box::new(StoreError::Corrupt {
            backend: "redis",
            what: "code state".to_owned(),
        }),
        Box::new(StoreError::Url {
            reason: "unknown scheme `ftp`".to_owned(),
        }),
        Box::new(StoreError::Disabled { backend: "redis" }),
        Box::new(StoreError::Random),
    ];
    let text: Vec<String> = errors.iter().map(|e| cause_chain(e.as_ref())).collect();
    insta::assert_snapshot!(text.join("\n"));
}
