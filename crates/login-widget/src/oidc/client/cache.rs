//! The relying party's copy of the provider's JWKS, and when to fetch it again.

use std::{
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use tgauth_core::UnixTime;

use super::{ClientError, OidcClient};
use crate::oidc::{IdTokenClaims, IdTokenError, IdTokenValidator, Jwks};

/// The provider's JWKS as a relying party holds it, and the validation of `id_token`s under it.
///
/// Keys are fetched on first use and kept for `max_age` (1 hour by default); the first
/// validation after that fetches them again. A token whose `kid` is not in the keys held makes
/// the cache fetch them again and retry the validation once, so a key rotation is picked up at
/// once; but at most one such fetch happens per `min_refetch_interval` (60 s by default), counted
/// from the last fetch, so a stream of tokens with made-up kids cannot make the relying party
/// hammer the provider. Time is the `now` of each call: the cache never reads a clock.
#[derive(Debug)]
pub struct JwksCache {
    client: OidcClient,
    /// The checks of the client's tokens; its own key set stays empty, the cache's is used.
    validator: IdTokenValidator,
    max_age: Duration,
    min_refetch_interval: Duration,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// The keys, and when they were fetched.
    keys: Option<(Arc<Jwks>, UnixTime)>,
    /// When a fetch was last started, whether it succeeded or not: the unknown-`kid` refetch
    /// waits `min_refetch_interval` from there.
    last_attempt: Option<UnixTime>,
}

impl JwksCache {
    /// A cache of the JWKS of `client`'s provider, validating tokens for `client` (its client
    /// id and its provider's issuer, 60 s clock skew).
    pub fn new(client: OidcClient) -> Self {
        Self {
            validator: client.validator(Jwks::default()),
            client,
            max_age: Duration::from_secs(60 * 60),
            min_refetch_interval: Duration::from_secs(60),
            state: Mutex::default(),
        }
    }

    /// Sets how long fetched keys are used before they are fetched again.
    pub fn with_max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// Sets the shortest time between a fetch and a fetch caused by an unknown `kid`.
    pub fn with_min_refetch_interval(mut self, interval: Duration) -> Self {
        self.min_refetch_interval = interval;
        self
    }

    /// Sets the accepted clock skew for `exp`, `iat` and `nbf`.
    pub fn with_skew(mut self, skew: Duration) -> Self {
        self.validator = self.validator.with_skew(skew);
        self
    }

    /// Validates `id_token` as [`IdTokenValidator::validate`] does, under the provider's keys:
    /// fetched first when the cache holds none or holds them longer than the maximum age, and
    /// fetched again (then the validation retried once) when the token's `kid` is unknown and
    /// the last fetch was at least the minimum interval ago. A failed fetch is an error (the
    /// next call tries again); a refused token is [`ClientError::IdToken`].
    pub async fn validate(
        &self,
        id_token: &str,
        expected_nonce: Option<&str>,
        now: UnixTime,
    ) -> Result<IdTokenClaims, ClientError> {
        let keys = self.keys(now).await?;
        match self
            .validator
            .validate_with(&keys, id_token, expected_nonce, now)
        {
            Err(IdTokenError::UnknownKeyId { .. }) if self.may_refetch(now) => {
                let keys = self.fetch(now).await?;
                Ok(self
                    .validator
                    .validate_with(&keys, id_token, expected_nonce, now)?)
            }
            outcome => Ok(outcome?),
        }
    }

    /// The keys held, unless there are none or they are too old: then fresh ones.
    async fn keys(&self, now: UnixTime) -> Result<Arc<Jwks>, ClientError> {
        let max_age = seconds(self.max_age);
        let held = self.lock().keys.as_ref().and_then(|(keys, fetched_at)| {
            (now.seconds_since(*fetched_at) < max_age).then(|| keys.clone())
        });
        match held {
            Some(keys) => Ok(keys),
            None => self.fetch(now).await,
        }
    }

    /// Whether an unknown `kid` may fetch the keys now; if so, the attempt is recorded before
    /// the fetch starts, so concurrent validations with unknown kids fetch once.
    fn may_refetch(&self, now: UnixTime) -> bool {
        let mut state = self.lock();
        let due = state
            .last_attempt
            .is_none_or(|last| now.seconds_since(last) >= seconds(self.min_refetch_interval));
        if due {
            state.last_attempt = Some(now);
        }
        due
    }

    async fn fetch(&self, now: UnixTime) -> Result<Arc<Jwks>, ClientError> {
        self.lock().last_attempt = Some(now);
        let keys = Arc::new(self.client.jwks().await?);
        self.lock().keys = Some((keys.clone(), now));
        Ok(keys)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is plain values, valid whatever a panicking holder left.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A policy duration in whole seconds, saturating.
fn seconds(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}
