//! `id_token` validation: the signature under a JWKS the caller holds, then the claims.

use std::time::Duration;

use base64::Engine as _;
use ring::signature;
use tgauth_core::{BotId, UnixTime};

use super::{
    B64, TELEGRAM_ISSUER,
    jose::{Algorithm, Header, IdTokenClaims, Jwk, Jwks, decode_json},
};

/// Why an `id_token` was refused: the verdict of [`IdTokenValidator`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdTokenError {
    /// The token is not three base64url parts of JSON, or a claim has the wrong type.
    #[error("malformed id_token: {what}")]
    Malformed {
        /// What could not be read.
        what: &'static str,
    },
    /// The header says `alg: none`: an unsigned token is never accepted.
    #[error("id_token is unsigned (alg none)")]
    AlgorithmNone,
    /// The header names an algorithm this build does not verify.
    #[error("unsupported id_token algorithm `{alg}`")]
    UnsupportedAlgorithm {
        /// The `alg` of the header.
        alg: String,
    },
    /// The header has no `kid`.
    #[error("id_token header has no kid")]
    MissingKeyId,
    /// No key of the JWKS has the header's `kid`.
    #[error("no key with kid `{kid}` in the JWKS")]
    UnknownKeyId {
        /// The `kid` of the header.
        kid: String,
    },
    /// No key with this `kid` is a signing key for the header's algorithm (key type, curve,
    /// `alg` and `use` all fit) that can be read.
    #[error("key `{kid}` does not fit the token's algorithm")]
    KeyMismatch {
        /// The `kid` of the key.
        kid: String,
    },
    /// The signature does not verify.
    #[error("id_token signature does not verify")]
    InvalidSignature,
    /// `iss` is not the expected issuer.
    #[error("id_token issuer `{found}` is not the expected one")]
    WrongIssuer {
        /// The `iss` received.
        found: String,
    },
    /// `aud` does not contain the client id (the bot id), or `azp` names another party.
    #[error("id_token audience does not contain the client id")]
    WrongAudience,
    /// `aud` names several parties and there is no `azp` to say which one the token was
    /// issued to (OpenID Connect Core 1.0 section 3.1.3.7, points 3 to 5).
    #[error("id_token has several audiences and no azp")]
    MissingAuthorizedParty,
    /// A nonce was expected and the token carries none.
    #[error("id_token has no nonce")]
    MissingNonce,
    /// The token's nonce is not the one sent in the authorization request.
    #[error("id_token nonce does not match")]
    WrongNonce,
    /// `exp` (plus the accepted skew) is before `now`.
    #[error("id_token expired at {exp}, now is {now}")]
    Expired {
        /// The `exp` claim.
        exp: UnixTime,
        /// The time of the check.
        now: UnixTime,
    },
    /// `iat` is after `now` plus the accepted skew.
    #[error("id_token issued at {iat}, in the future of {now}")]
    IssuedInFuture {
        /// The `iat` claim.
        iat: UnixTime,
        /// The time of the check.
        now: UnixTime,
    },
    /// `nbf` is after `now` plus the accepted skew.
    #[error("id_token not valid before {nbf}, now is {now}")]
    NotYetValid {
        /// The `nbf` claim.
        nbf: UnixTime,
        /// The time of the check.
        now: UnixTime,
    },
}

/// What an `id_token` must say about the nonce the authorization request sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum NoncePolicy {
    /// A token that carries a nonce must carry the one sent; a token without one is accepted.
    /// Telegram's provider (2026) may leave the nonce out, so this is the default for its
    /// tokens; the code flow's `state` and PKCE verifier still bind the token to the login.
    #[default]
    MustMatchIfPresent,
    /// The token must carry the nonce sent ([`IdTokenError::MissingNonce`] otherwise), for
    /// providers that always echo it.
    Required,
}

/// Validates `id_token`s against a JWKS the caller holds.
#[derive(Debug, Clone)]
pub struct IdTokenValidator {
    jwks: Jwks,
    issuer: String,
    client_id: String,
    skew: Duration,
    nonce: NoncePolicy,
}

impl IdTokenValidator {
    /// Tokens for the OpenID Connect client `client_id` from Telegram's issuer, 60 s clock
    /// skew. Telegram's client id is the bot id: [`IdTokenValidator::for_bot`] says so in a type.
    pub fn new(jwks: Jwks, client_id: impl Into<String>) -> Self {
        Self {
            jwks,
            issuer: TELEGRAM_ISSUER.to_owned(),
            client_id: client_id.into(),
            skew: Duration::from_secs(60),
            nonce: NoncePolicy::default(),
        }
    }

    /// Tokens issued by Telegram to the bot `bot_id` (whose OIDC client id is its bot id).
    pub fn for_bot(jwks: Jwks, bot_id: BotId) -> Self {
        Self::new(jwks, bot_id.to_string())
    }

    /// Expects this issuer instead (the sandbox's, say: [`Provider::issuer`](super::Provider::issuer)).
    pub fn with_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = issuer.into();
        self
    }

    /// Sets the accepted clock skew for `exp` and `iat`.
    pub fn with_skew(mut self, skew: Duration) -> Self {
        self.skew = skew;
        self
    }

    /// Sets what a token must say about the expected nonce
    /// ([`NoncePolicy::MustMatchIfPresent`] by default, as Telegram's provider needs).
    pub fn with_nonce_policy(mut self, policy: NoncePolicy) -> Self {
        self.nonce = policy;
        self
    }

    /// Replaces the key set (after a JWKS refresh).
    pub fn with_jwks(mut self, jwks: Jwks) -> Self {
        self.jwks = jwks;
        self
    }

    /// Verifies the signature by the key with the header's `kid`, then `iss`, `aud` and `azp`
    /// (required when `aud` names several parties, and then the client id), `exp`, `iat`, `nbf`
    /// when present and, when `expected_nonce` is given, `nonce` (compared in constant time; a
    /// token without one passes unless the [`NoncePolicy`] is `Required`). Pass the nonce of
    /// the authorization request: only a flow that sent none may pass `None`.
    ///
    /// Only the JWKS given here is trusted: header members that point at other keys (`jku`,
    /// `jwk`, `x5u`) are ignored, `alg: none` and HMAC algorithms are refused, and the key must
    /// be of the type the header's `alg` requires, so a public key can never serve as an HMAC
    /// secret or an RSA key check an ECDSA signature.
    pub fn validate(
        &self,
        id_token: &str,
        expected_nonce: Option<&str>,
        now: UnixTime,
    ) -> Result<IdTokenClaims, IdTokenError> {
        self.validate_with(&self.jwks, id_token, expected_nonce, now)
    }

    /// [`IdTokenValidator::validate`] under `jwks` instead of the validator's own key set: the
    /// JWKS cache of the client holds its keys itself.
    pub(super) fn validate_with(
        &self,
        jwks: &Jwks,
        id_token: &str,
        expected_nonce: Option<&str>,
        now: UnixTime,
    ) -> Result<IdTokenClaims, IdTokenError> {
        let mut parts = id_token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(IdTokenError::Malformed {
                what: "not three dot-separated parts",
            });
        };
        let header: Header = decode_json(header, "header")?;
        let algorithm = Algorithm::from_name(&header.alg)?;
        if header.crit.is_some() {
            return Err(IdTokenError::Malformed {
                what: "header names critical extensions",
            });
        }
        let kid = header.kid.ok_or(IdTokenError::MissingKeyId)?;
        // A JWKS may hold several keys under one kid (RFC 7517 only says SHOULD be distinct,
        // and a rotation can briefly repeat one): every key with the kid that fits the
        // algorithm is a candidate, never just the first one listed.
        let mut candidates = jwks
            .keys
            .iter()
            .filter(|key| key.kid.as_deref() == Some(kid.as_str()))
            .peekable();
        if candidates.peek().is_none() {
            return Err(IdTokenError::UnknownKeyId {
                kid: kid.chars().take(64).collect(),
            });
        }
        let signature = B64.decode(signature).map_err(|_| IdTokenError::Malformed {
            what: "signature is not base64url",
        })?;
        let signed = id_token
            .len()
            .checked_sub(id_token.rsplit('.').next().map_or(0, str::len) + 1)
            .and_then(|end| id_token.get(..end))
            .ok_or(IdTokenError::Malformed {
                what: "not three dot-separated parts",
            })?;
        let mut outcome = Err(IdTokenError::KeyMismatch {
            kid: kid.chars().take(64).collect(),
        });
        for key in candidates {
            match verify_signature(algorithm, key, signed.as_bytes(), &signature) {
                Ok(()) => {
                    outcome = Ok(());
                    break;
                }
                Err(KeyOutcome::BadSignature) => outcome = Err(IdTokenError::InvalidSignature),
                Err(KeyOutcome::DoesNotFit) => {}
            }
        }
        outcome?;

        let claims: IdTokenClaims = decode_json(payload, "payload")?;
        if claims.iss != self.issuer {
            return Err(IdTokenError::WrongIssuer {
                found: claims.iss.chars().take(256).collect(),
            });
        }
        // OpenID Connect Core 1.0 section 3.1.3.7: `aud` must contain the client id; with
        // several audiences `azp` must be present; when present, `azp` must be the client id.
        if !claims.aud.contains(&self.client_id) {
            return Err(IdTokenError::WrongAudience);
        }
        match &claims.azp {
            Some(azp) if *azp != self.client_id => return Err(IdTokenError::WrongAudience),
            None if claims.aud.len() > 1 => return Err(IdTokenError::MissingAuthorizedParty),
            _ => {}
        }
        if now > claims.exp.plus_duration(self.skew) {
            return Err(IdTokenError::Expired {
                exp: claims.exp,
                now,
            });
        }
        if claims.iat > now.plus_duration(self.skew) {
            return Err(IdTokenError::IssuedInFuture {
                iat: claims.iat,
                now,
            });
        }
        if let Some(nbf) = claims.nbf
            && nbf > now.plus_duration(self.skew)
        {
            return Err(IdTokenError::NotYetValid { nbf, now });
        }
        if let Some(expected) = expected_nonce {
            match (claims.nonce.as_deref(), self.nonce) {
                (None, NoncePolicy::Required) => return Err(IdTokenError::MissingNonce),
                (None, NoncePolicy::MustMatchIfPresent) => {}
                (Some(nonce), _) => {
                    if !tgauth_core::constant_time_eq(nonce.as_bytes(), expected.as_bytes()) {
                        return Err(IdTokenError::WrongNonce);
                    }
                }
            }
        }
        Ok(claims)
    }
}

/// Why one candidate key did not verify a token.
enum KeyOutcome {
    /// The key is not a readable signing key of the algorithm's type.
    DoesNotFit,
    /// The key fits and the signature does not verify under it.
    BadSignature,
}

/// A base64url member of a JWK, decoded; absent or undecodable means the key does not fit.
fn key_field(field: Option<&str>) -> Result<Vec<u8>, KeyOutcome> {
    let text = field.ok_or(KeyOutcome::DoesNotFit)?;
    B64.decode(text).map_err(|_| KeyOutcome::DoesNotFit)
}

fn verify_signature(
    algorithm: Algorithm,
    key: &Jwk,
    message: &[u8],
    signature: &[u8],
) -> Result<(), KeyOutcome> {
    // The key's own `alg` and `use`, when published, must allow this use: an encryption key
    // or a key meant for another algorithm is never a candidate.
    if key
        .alg
        .as_deref()
        .is_some_and(|alg| alg != algorithm.as_str())
        || key
            .key_use
            .as_deref()
            .is_some_and(|key_use| key_use != "sig")
    {
        return Err(KeyOutcome::DoesNotFit);
    }
    let require_key_type = |kty: &str, crv: Option<&str>| {
        if key.kty == kty && (crv.is_none() || key.crv.as_deref() == crv) {
            Ok(())
        } else {
            Err(KeyOutcome::DoesNotFit)
        }
    };
    let verified = match algorithm {
        Algorithm::Rs256 => {
            require_key_type("RSA", None)?;
            let components = signature::RsaPublicKeyComponents {
                n: key_field(key.n.as_deref())?,
                e: key_field(key.e.as_deref())?,
            };
            components.verify(&signature::RSA_PKCS1_2048_8192_SHA256, message, signature)
        }
        Algorithm::Es256 => {
            require_key_type("EC", Some("P-256"))?;
            let point = uncompressed_point(key)?;
            signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                .verify(message, signature)
        }
        Algorithm::EdDsa => {
            require_key_type("OKP", Some("Ed25519"))?;
            let x = key_field(key.x.as_deref())?;
            if x.len() != 32 {
                return Err(KeyOutcome::DoesNotFit);
            }
            signature::UnparsedPublicKey::new(&signature::ED25519, x).verify(message, signature)
        }
        #[cfg(feature = "es256k")]
        Algorithm::Es256k => {
            use k256::ecdsa::signature::Verifier as _;
            require_key_type("EC", Some("secp256k1"))?;
            let point = uncompressed_point(key)?;
            let verifying_key = k256::ecdsa::VerifyingKey::from_sec1_bytes(&point)
                .map_err(|_| KeyOutcome::DoesNotFit)?;
            let signature = k256::ecdsa::Signature::from_slice(signature)
                .map_err(|_| KeyOutcome::BadSignature)?;
            // k256 verifies only low-S signatures (Bitcoin's rule); JOSE (RFC 8812) allows
            // both, and a JWT's validity does not hinge on signature malleability.
            let signature = signature.normalize_s().unwrap_or(signature);
            verifying_key
                .verify(message, &signature)
                .map_err(|_| ring::error::Unspecified)
        }
    };
    verified.map_err(|_| KeyOutcome::BadSignature)
}

fn uncompressed_point(key: &Jwk) -> Result<Vec<u8>, KeyOutcome> {
    let x = key_field(key.x.as_deref())?;
    let y = key_field(key.y.as_deref())?;
    if x.len() != 32 || y.len() != 32 {
        return Err(KeyOutcome::DoesNotFit);
    }
    let mut point = Vec::with_capacity(65);
    point.push(0x04);
    point.extend_from_slice(&x);
    point.extend_from_slice(&y);
    Ok(point)
}
