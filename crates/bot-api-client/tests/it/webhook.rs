//! Webhook deliveries: the secret header checked, the handler awaited, non-2xx on failure so
//! Telegram delivers again, and the body-size and content-type limits.

use bot_api_client::Error;
use bot_api_client::webhook::SecretToken;

#[test]
fn secret_token_shape_and_comparison() {
    for bad in ["", "has space", "ünï", &"x".repeat(257)] {
        assert!(
            matches!(SecretToken::new(bad), Err(Error::InvalidSecretToken)),
            "{bad}"
        );
    }
    let secret = SecretToken::new("Abc_123-xyz").unwrap();
    assert!(secret.matches(Some(b"Abc_123-xyz")));
    assert!(!secret.matches(Some(b"Abc_123-xyZ")));
    assert!(!secret.matches(Some(b"Abc_123-xy")));
    assert!(!secret.matches(Some(b"")));
    assert!(!secret.matches(None));
    assert_eq!(format!("{secret:?}"), "SecretToken(<redacted>)");
    // `==` is the constant-time comparison too.
    assert_eq!(secret, SecretToken::new("Abc_123-xyz").unwrap());
    assert_ne!(secret, SecretToken::new("Abc_123-xyZ").unwrap());
    assert_ne!(secret, SecretToken::new("Abc_123-xy").unwrap());
}

#[test]
fn parse_errors_are_typed() {
    let error = bot_api_client::webhook::parse_update(b"{").unwrap_err();
    assert!(matches!(error, Error::WebhookBody { .. }));
}

/// The axum endpoint, served on loopback.
#[cfg(feature = "axum")]
mod endpoint {
    use bot_api_client::types::Update;
    use bot_api_client::webhook::{SECRET_HEADER, SecretToken, WebhookConfig, router};
    use serde_json::json;
    use std::sync::{Arc, Mutex};

    struct Endpoint {
        url: String,
        received: Arc<Mutex<Vec<i64>>>,
        http: reqwest::Client,
    }

    /// Serves the router on loopback; the handler fails for update ids divisible by 10.
    async fn endpoint(config: WebhookConfig) -> Endpoint {
        let received = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&received);
        let app = router("/hook", config, move |update: Update| {
            let seen = Arc::clone(&seen);
            async move {
                seen.lock().unwrap().push(update.update_id);
                if update.update_id % 10 == 0 {
                    Err("database unavailable")
                } else {
                    Ok(())
                }
            }
        });
        let served = tgauth_tests::http::serve(app).await.unwrap();
        Endpoint {
            url: served.url("/hook"),
            received,
            http: tgauth_tests::http::client(),
        }
    }

    impl Endpoint {
        async fn post(&self, secret: Option<&str>, content_type: &str, body: Vec<u8>) -> u16 {
            let mut request = self
                .http
                .post(&self.url)
                .header("content-type", content_type)
                .body(body);
            if let Some(secret) = secret {
                request = request.header(SECRET_HEADER, secret);
            }
            request.send().await.unwrap().status().as_u16()
        }

        async fn deliver(&self, secret: Option<&str>, update_id: i64) -> u16 {
            let body = json!({"update_id": update_id, "message": {"message_id": 1, "date": 1,
                "chat": {"id": 1, "type": "private", "first_name": "A"}, "text": "/start x"}});
            self.post(secret, "application/json", body.to_string().into_bytes())
                .await
        }
    }

    #[tokio::test]
    async fn deliveries_with_right_and_wrong_secret() {
        let hook = endpoint(WebhookConfig::with_secret(
            SecretToken::new("right-secret").unwrap(),
        ))
        .await;
        assert_eq!(hook.deliver(Some("right-secret"), 1).await, 200);
        assert_eq!(hook.deliver(Some("wrong-secret"), 2).await, 401);
        assert_eq!(hook.deliver(None, 3).await, 401);
        assert_eq!(
            *hook.received.lock().unwrap(),
            [1],
            "refused deliveries never reach the handler"
        );
    }

    #[tokio::test]
    async fn handler_failure_answers_500_so_telegram_redelivers() {
        let hook = endpoint(WebhookConfig::with_secret(SecretToken::new("s").unwrap())).await;
        assert_eq!(hook.deliver(Some("s"), 10).await, 500);
        assert_eq!(hook.deliver(Some("s"), 11).await, 200);
        assert_eq!(*hook.received.lock().unwrap(), [10, 11]);
    }

    #[tokio::test]
    async fn limits_and_bad_bodies() {
        let hook =
            endpoint(WebhookConfig::with_secret(SecretToken::new("s").unwrap()).body_limit(256))
                .await;
        assert_eq!(
            hook.post(Some("s"), "text/plain", b"{}".to_vec()).await,
            415
        );
        assert_eq!(
            hook.post(
                Some("s"),
                "application/json; charset=utf-8",
                b"{\"update_id\": 4}".to_vec()
            )
            .await,
            200
        );
        let big = format!("{{\"update_id\": 5, \"pad\": \"{}\"}}", "x".repeat(300));
        assert_eq!(
            hook.post(Some("s"), "application/json", big.into_bytes())
                .await,
            413
        );
        assert_eq!(
            hook.post(Some("s"), "application/json", b"[1,2]".to_vec())
                .await,
            400
        );
        assert_eq!(*hook.received.lock().unwrap(), [4]);
    }

    #[tokio::test]
    async fn without_secret() {
        let hook = endpoint(WebhookConfig::dangerous_without_secret()).await;
        assert_eq!(hook.deliver(None, 1).await, 200);
    }
}
