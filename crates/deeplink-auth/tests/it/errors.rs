//! Every error message, with its cause chain, as a snapshot: the words people read when
//! something goes wrong, and proof that no code or token leaks into them.

use deeplink_auth::{BotUsername, InputError, LinkError, StoreError, Ttl, UserId};

/// An error and its causes, one per line.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str("\n  caused by: ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

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
        Box::new(UserId::new("").unwrap_err()),
        Box::new(Ttl::from_seconds(0).unwrap_err()),
        Box::new(deeplink_auth::login::LoginLinkKey::new(b"short").unwrap_err()),
        Box::new(InputError::Identity {
            reason: "links are made in private chats only",
        }),
        Box::new(LinkError::Unknown),
        Box::new(LinkError::Expired),
        Box::new(LinkError::AlreadyUsed),
        Box::new(LinkError::Conflict),
        Box::new(LinkError::LoginLinkExpired),
        Box::new(LinkError::LoginLinkUsed),
        Box::new(LinkError::InvalidLoginLink),
        Box::new(LinkError::NotLinked),
        Box::new(LinkError::Store(StoreError::Unavailable {
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
    let text: Vec<String> = errors.iter().map(|e| chain(e.as_ref())).collect();
    insta::assert_snapshot!(text.join("\n"));
}
