//! One Bot API call: the request, the answer read up to the response limit, the envelope
//! decoded, and every failure turned into an [`Error`] without the token.
//!
//! Every transport failure is rebuilt as [`Error::Transport`] from a message with the URL
//! stripped and any remaining occurrence of the token replaced; descriptions, parameters and
//! raw bodies of answers are sanitized the same way. Retries wrap the single call here
//! according to the client's [`RetryPolicy`](crate::RetryPolicy).

use crate::error::{ApiError, TransportKind};
use crate::requests::Idempotency;
use crate::types::Update;
use crate::{Client, Error};
use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Deserialize)]
struct Envelope<R> {
    ok: bool,
    result: Option<R>,
    #[serde(default)]
    error_code: Option<i64>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    parameters: Option<serde_json::Value>,
}

impl<R> Envelope<R> {
    fn into_api_error(self, status: u16) -> ApiError {
        ApiError::new(
            self.error_code.unwrap_or(i64::from(status)),
            self.description.unwrap_or_default(),
            self.parameters,
        )
    }
}

impl Client {
    /// [`sanitize`](Self::sanitize) on every string (keys included) of a JSON value.
    fn sanitize_value(&self, value: &mut serde_json::Value) {
        match value {
            serde_json::Value::String(text) => *text = self.sanitize(text),
            serde_json::Value::Array(items) => {
                items.iter_mut().for_each(|item| self.sanitize_value(item));
            }
            serde_json::Value::Object(object) => {
                let entries = std::mem::take(object);
                for (key, mut item) in entries {
                    self.sanitize_value(&mut item);
                    object.insert(self.sanitize(&key), item);
                }
            }
            _ => {}
        }
    }

    pub(crate) fn transport_error(&self, method: &'static str, error: reqwest::Error) -> Error {
        let kind = if error.is_connect() {
            TransportKind::Connect
        } else if error.is_timeout() {
            TransportKind::Timeout
        } else if error.is_body() || error.is_decode() {
            TransportKind::Body
        } else if error.is_request() {
            TransportKind::Request
        } else {
            TransportKind::Other
        };
        let error = error.without_url();
        let mut message = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        Error::Transport {
            method,
            kind,
            message: self.sanitize(&message),
        }
    }

    /// Calls any Bot API method with JSON parameters, with the client's retry policy.
    ///
    /// The typed methods are built on this; use it for methods this crate does not wrap.
    pub async fn call<P, R>(
        &self,
        method: &'static str,
        parameters: &P,
        idempotency: Idempotency,
    ) -> Result<R, Error>
    where
        P: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        let timeout = self.inner.request_timeout;
        self.call_with_timeout(method, parameters, idempotency, timeout, None)
            .await
    }

    pub(crate) async fn call_with_timeout<P, R>(
        &self,
        method: &'static str,
        parameters: &P,
        idempotency: Idempotency,
        timeout: Duration,
        fallback: Option<Fallback<R>>,
    ) -> Result<R, Error>
    where
        P: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        let body = serde_json::to_vec(parameters).map_err(|e| Error::Decode {
            method,
            status: 0,
            message: format!("parameters do not serialize: {e}"),
            body: String::new(),
        })?;
        let idempotent = idempotency == Idempotency::Idempotent;
        let mut attempt = 0;
        loop {
            let error = match self
                .call_once(method, body.clone(), timeout, fallback)
                .await
            {
                Ok(result) => return Ok(result),
                Err(error) => error,
            };
            let policy = &self.inner.retry;
            let delay = (attempt < policy.max_retries)
                .then(|| policy.delay_for(&error, idempotent, attempt, &self.inner.jitter))
                .flatten();
            let Some(delay) = delay else {
                tracing::debug!(method, attempt, error = %error, "bot api call failed");
                return Err(error);
            };
            tracing::debug!(method, attempt, ?delay, error = %error, "bot api call failed, retrying");
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    async fn call_once<R: DeserializeOwned>(
        &self,
        method: &'static str,
        body: Vec<u8>,
        timeout: Duration,
        fallback: Option<Fallback<R>>,
    ) -> Result<R, Error> {
        let url = format!("{}{method}", self.inner.api_prefix);
        let response = self
            .inner
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .timeout(timeout)
            .body(body)
            .send()
            .await
            .map_err(|e| self.transport_error(method, e))?;
        let status = response.status().as_u16();
        let bytes = self.read_answer(method, response).await?;
        match self.decode(method, status, &bytes) {
            Err(error @ Error::Decode { .. }) => {
                fallback.and_then(|lenient| lenient(&bytes)).ok_or(error)
            }
            other => other,
        }
    }

    /// Reads an answer up to the response limit, chunk by chunk, and stops at the first chunk
    /// past it: an endless or oversized body costs at most the limit in memory.
    async fn read_answer(
        &self,
        method: &'static str,
        mut response: reqwest::Response,
    ) -> Result<Bytes, Error> {
        let limit = self.inner.response_limit;
        let too_large = || Error::ResponseTooLarge { method, limit };
        let announced = response.content_length().unwrap_or(0);
        if usize::try_from(announced).map_or(true, |announced| announced > limit) {
            return Err(too_large());
        }
        let mut chunks = Vec::new();
        let mut length = 0_usize;
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.transport_error(method, e))?
        {
            if chunk.len() > limit.saturating_sub(length) {
                return Err(too_large());
            }
            length += chunk.len();
            chunks.push(chunk);
        }
        // Most answers arrive in one chunk, which is then the body as it is, without a copy.
        match chunks.len() {
            0 => Ok(Bytes::new()),
            1 => Ok(chunks.swap_remove(0)),
            _ => {
                let mut body = Vec::with_capacity(length);
                for chunk in &chunks {
                    body.extend_from_slice(chunk);
                }
                Ok(Bytes::from(body))
            }
        }
    }

    pub(crate) fn decode<R: DeserializeOwned>(
        &self,
        method: &'static str,
        status: u16,
        bytes: &[u8],
    ) -> Result<R, Error> {
        let decode_error = |message: String| Error::Decode {
            method,
            status,
            message: self.sanitize(&message),
            body: self.sanitize(&String::from_utf8_lossy(bytes)),
        };
        let envelope: Envelope<R> =
            serde_json::from_slice(bytes).map_err(|e| decode_error(e.to_string()))?;
        if envelope.ok {
            return envelope
                .result
                .ok_or_else(|| decode_error("ok answer without result".to_owned()));
        }
        let mut error = envelope.into_api_error(status);
        error.description = self.sanitize(&error.description);
        if let Some(parameters) = &mut error.parameters {
            self.sanitize_value(parameters);
        }
        Err(Error::Api { method, error })
    }
}

/// A second way to read an answer the typed decoder refused.
pub(crate) type Fallback<R> = fn(&[u8]) -> Option<R>;

/// Reads a `getUpdates` answer one update at a time, so that one update of a known kind with a
/// body this crate cannot parse arrives as `UpdateKind::Other` instead of failing the batch (and
/// blocking the offset forever).
pub(crate) fn lenient_updates(bytes: &[u8]) -> Option<Vec<Update>> {
    let envelope: Envelope<Vec<serde_json::Value>> = serde_json::from_slice(bytes).ok()?;
    if !envelope.ok {
        return None;
    }
    envelope
        .result?
        .into_iter()
        .map(Update::from_value_lenient)
        .collect::<Result<_, _>>()
        .ok()
}
