//! HTTP helpers shared by the handlers: Telegram's envelope (answers and errors), request
//! parameters as the Bot API takes them, path decoding, armed faults, and the control API's
//! error answers and request guards.

use std::{borrow::Cow, future, time::Duration};

use axum::{
    Json,
    body::{Body, Bytes},
    extract::{FromRequest, Multipart, Request},
    http::{HeaderMap, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Map, Value, value::RawValue};
use tgauth_core::{BotId, ChatId};

use crate::{
    error::ControlError,
    faults::{self, FaultKind},
    server::ConnectionKill,
    shared::Shared,
};

/// The largest request body the sandbox reads.
pub(crate) const BODY_LIMIT: usize = 64 * 1024 * 1024;

/// An error answer in Telegram's envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) code: u16,
    pub(crate) description: String,
    pub(crate) retry_after: Option<u64>,
    pub(crate) migrate_to_chat_id: Option<ChatId>,
}

impl ApiError {
    pub(crate) fn new(code: u16, description: impl Into<String>) -> Self {
        Self {
            code,
            description: description.into(),
            retry_after: None,
            migrate_to_chat_id: None,
        }
    }

    pub(crate) fn bad_request(reason: impl AsRef<str>) -> Self {
        Self::new(400, format!("Bad Request: {}", reason.as_ref()))
    }

    pub(crate) fn forbidden(reason: &str) -> Self {
        Self::new(403, format!("Forbidden: {reason}"))
    }

    pub(crate) fn unauthorized() -> Self {
        Self::new(401, "Unauthorized")
    }

    pub(crate) fn not_found() -> Self {
        Self::new(404, "Not Found")
    }

    pub(crate) fn too_many_requests(retry_after: u64) -> Self {
        Self {
            code: 429,
            description: format!("Too Many Requests: retry after {retry_after}"),
            retry_after: Some(retry_after),
            migrate_to_chat_id: None,
        }
    }

    /// What the real server answers for a group that became a supergroup.
    pub(crate) fn migrated(migrate_to_chat_id: ChatId) -> Self {
        Self {
            migrate_to_chat_id: Some(migrate_to_chat_id),
            ..Self::bad_request("group chat was upgraded to a supergroup chat")
        }
    }

    pub(crate) fn internal() -> Self {
        Self::new(500, "Internal Server Error")
    }
}

/// The error envelope, in the field order the real server writes.
#[derive(Serialize)]
struct ErrorEnvelope<'a> {
    ok: bool,
    error_code: u16,
    description: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    parameters: Option<ResponseParameters>,
}

/// `ResponseParameters`: only the fields that are present, as the real server writes them.
#[derive(Serialize)]
struct ResponseParameters {
    #[serde(skip_serializing_if = "Option::is_none")]
    migrate_to_chat_id: Option<ChatId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_after: Option<u64>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorEnvelope {
            ok: false,
            error_code: self.code,
            description: &self.description,
            parameters: (self.retry_after.is_some() || self.migrate_to_chat_id.is_some())
                .then_some(ResponseParameters {
                    migrate_to_chat_id: self.migrate_to_chat_id,
                    retry_after: self.retry_after,
                }),
        };
        let status = StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(body)).into_response()
    }
}

/// A successful answer: the result, serialized once in its own field order, and the optional
/// `description` some methods add.
#[derive(Debug)]
pub(crate) struct Reply {
    result: Box<RawValue>,
    description: Option<&'static str>,
}

#[derive(Serialize)]
struct Envelope<'a> {
    ok: bool,
    result: &'a RawValue,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
}

impl Reply {
    pub(crate) fn of(result: &(impl Serialize + ?Sized)) -> Result<Self, ApiError> {
        serde_json::value::to_raw_value(result)
            .map(|result| Self {
                result,
                description: None,
            })
            .map_err(|_| ApiError::internal())
    }

    pub(crate) fn described(result: bool, description: &'static str) -> Self {
        let result = if result { "true" } else { "false" };
        Self {
            // A JSON literal always parses.
            result: RawValue::from_string(result.to_owned())
                .unwrap_or_else(|_| RawValue::NULL.to_owned()),
            description: Some(description),
        }
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let body = Envelope {
            ok: true,
            result: &self.result,
            description: self.description,
        };
        (StatusCode::OK, Json(body)).into_response()
    }
}

/// Request parameters merged from the query string and the body.
#[derive(Debug, Default)]
pub(crate) struct Params(Map<String, Value>);

impl Params {
    pub(crate) fn value(&self, name: &str) -> Option<&Value> {
        self.0.get(name).filter(|value| !value.is_null())
    }

    pub(crate) fn integer(&self, name: &str) -> Result<Option<i64>, ApiError> {
        let invalid = || ApiError::bad_request(format!("field \"{name}\" must be an integer"));
        match self.value(name) {
            None => Ok(None),
            Some(Value::Number(number)) => number.as_i64().map(Some).ok_or_else(invalid),
            Some(Value::String(text)) if text.trim().is_empty() => Ok(None),
            Some(Value::String(text)) => text.trim().parse().map(Some).map_err(|_| invalid()),
            Some(_) => Err(invalid()),
        }
    }

    pub(crate) fn string(&self, name: &str) -> Option<String> {
        match self.value(name)? {
            Value::String(text) => Some(text.clone()),
            other => Some(other.to_string()),
        }
    }

    pub(crate) fn boolean(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.value(name) {
            None => Ok(None),
            Some(Value::Bool(value)) => Ok(Some(*value)),
            Some(Value::Number(number)) => Ok(Some(number.as_i64() != Some(0))),
            Some(Value::String(text)) => match text.trim().to_ascii_lowercase().as_str() {
                "" | "false" | "0" => Ok(Some(false)),
                "true" | "1" => Ok(Some(true)),
                _ => Err(ApiError::bad_request(format!(
                    "field \"{name}\" must be a boolean"
                ))),
            },
            Some(_) => Err(ApiError::bad_request(format!(
                "field \"{name}\" must be a boolean"
            ))),
        }
    }

    /// A structured parameter: a JSON value, or (in forms and query strings) its JSON text.
    pub(crate) fn json<T: DeserializeOwned>(
        &self,
        name: &str,
        what: &str,
    ) -> Result<Option<T>, ApiError> {
        let parsed = match self.value(name) {
            None => return Ok(None),
            Some(Value::String(text)) if text.trim().is_empty() => return Ok(None),
            Some(Value::String(text)) => serde_json::from_str(text),
            Some(other) => serde_json::from_value(other.clone()),
        };
        parsed
            .map(Some)
            .map_err(|_| ApiError::bad_request(format!("can't parse {what}")))
    }

    fn insert_form(&mut self, bytes: &[u8]) {
        for (name, value) in form_urlencoded::parse(bytes) {
            self.0
                .insert(name.into_owned(), Value::String(value.into_owned()));
        }
    }

    /// Reads the query string and the body of `request`.
    pub(crate) async fn from_request(request: Request) -> Result<Self, ApiError> {
        let mut params = Self::default();
        if let Some(query) = request.uri().query() {
            params.insert_form(query.as_bytes());
        }
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .map(|value| {
                value
                    .split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_ascii_lowercase()
            })
            .unwrap_or_default();
        match content_type.as_str() {
            "multipart/form-data" => {
                let mut multipart = Multipart::from_request(request, &())
                    .await
                    .map_err(|_| ApiError::bad_request("can't parse multipart form"))?;
                while let Some(field) = multipart
                    .next_field()
                    .await
                    .map_err(|_| ApiError::bad_request("can't parse multipart form"))?
                {
                    let Some(name) = field.name().map(str::to_owned) else {
                        continue;
                    };
                    // Uploaded files are not supported by the implemented methods; only text
                    // fields carry parameters.
                    if field.file_name().is_some() {
                        continue;
                    }
                    let text = field
                        .text()
                        .await
                        .map_err(|_| ApiError::bad_request("can't parse multipart form"))?;
                    params.0.insert(name, Value::String(text));
                }
            }
            "application/json" => {
                let bytes = read_body(request.into_body()).await?;
                if !bytes.iter().all(u8::is_ascii_whitespace) {
                    match serde_json::from_slice(&bytes) {
                        Ok(Value::Object(object)) => params.0.extend(object),
                        _ => return Err(ApiError::bad_request("can't parse JSON object")),
                    }
                }
            }
            "application/x-www-form-urlencoded" => {
                let bytes = read_body(request.into_body()).await?;
                params.insert_form(&bytes);
            }
            _ => {}
        }
        Ok(params)
    }
}

pub(crate) async fn read_body(body: Body) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(body, BODY_LIMIT)
        .await
        .map_err(|_| ApiError::new(413, "Request Entity Too Large"))
}

/// Decodes `%XX` escapes in a path segment (a token's `:` may arrive as `%3A`); `None` when the
/// result is not UTF-8.
pub(crate) fn decode_path_segment(segment: &str) -> Option<Cow<'_, str>> {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8()
        .ok()
}

/// The bot whose token a Bot API or download path carries, once the armed faults for `method`
/// let the call through: the bot and whether to drop the connection after the call, or the
/// answer to give instead (401 for an unknown token, or the fault's).
pub(crate) async fn bot_call(
    shared: &Shared,
    token: &str,
    kill: Option<&ConnectionKill>,
    method: &str,
) -> Result<(BotId, bool), Response> {
    let bot_id = decode_path_segment(token).and_then(|token| {
        shared
            .lock()
            .bot_by_token(&token)
            .map(|bot| bot.token.bot_id())
    });
    let Some(bot_id) = bot_id else {
        return Err(ApiError::unauthorized().into_response());
    };
    match apply_fault(shared, kill, bot_id, method).await {
        FaultAction::Proceed => Ok((bot_id, false)),
        FaultAction::DropAfter => Ok((bot_id, true)),
        FaultAction::Answer(response) => Err(response),
    }
}

/// What an armed fault asks of the current request.
enum FaultAction {
    Proceed,
    DropAfter,
    Answer(Response),
}

async fn apply_fault(
    shared: &Shared,
    kill: Option<&ConnectionKill>,
    bot_id: BotId,
    method: &str,
) -> FaultAction {
    let fault = faults::take(&mut shared.lock().faults, bot_id, method);
    match fault {
        None => FaultAction::Proceed,
        Some(FaultKind::TooManyRequests { retry_after }) => {
            FaultAction::Answer(ApiError::too_many_requests(retry_after).into_response())
        }
        Some(FaultKind::ServerError) => FaultAction::Answer(ApiError::internal().into_response()),
        Some(FaultKind::Migrated { migrate_to_chat_id }) => {
            FaultAction::Answer(ApiError::migrated(migrate_to_chat_id).into_response())
        }
        Some(FaultKind::BadGateway) => FaultAction::Answer(
            (
                StatusCode::BAD_GATEWAY,
                [(header::CONTENT_TYPE, "text/html")],
                "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
            )
                .into_response(),
        ),
        Some(FaultKind::DropConnection) => drop_connection(kill).await,
        Some(FaultKind::DropConnectionAfterProcessing) => FaultAction::DropAfter,
        Some(FaultKind::Delay { millis }) => {
            tokio::time::sleep(Duration::from_millis(millis)).await;
            FaultAction::Proceed
        }
    }
}

/// Closes the connection and never answers.
pub(crate) async fn drop_connection<T>(kill: Option<&ConnectionKill>) -> T {
    if let Some(kill) = kill {
        kill.fire();
    }
    future::pending().await
}

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        let code = match &self {
            Self::UnknownBot { .. } => 404,
            Self::AlreadyExists { .. } | Self::Blocked { .. } => 409,
            Self::Unavailable { .. } => 501,
            _ => 400,
        };
        ApiError::new(code, self.to_string()).into_response()
    }
}

/// What a control handler answers: a result in the envelope, or a refusal.
pub(crate) type ControlResult = Result<Reply, ControlError>;

/// Parses a control request's JSON body.
pub(crate) fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ControlError> {
    serde_json::from_slice(body).map_err(|error| ControlError::InvalidRequest {
        reason: error.to_string(),
    })
}

/// A control answer in the envelope.
pub(crate) fn reply(value: &impl Serialize) -> ControlResult {
    Reply::of(value).map_err(|error| ControlError::InvalidRequest {
        reason: error.description,
    })
}

/// What the control API answers a request addressed to another host.
const HOST_RULE: &str = "the control API answers only requests whose Host is 127.0.0.1, [::1] \
                         or localhost (with any port)";

/// Refuses a control request whose `Host` is not loopback (403).
///
/// The control API has no authentication: whoever reaches it acts as any user. A web page
/// cannot reach a loopback port under its own origin, but with DNS rebinding its own name
/// resolves to 127.0.0.1, and its requests then carry that name as their `Host`; requiring a
/// loopback name closes that door. The Bot API and the OIDC provider keep Telegram's behaviour.
pub(crate) async fn loopback_host_only(request: Request, next: Next) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .or_else(|| {
            request
                .uri()
                .authority()
                .map(|authority| authority.as_str())
        });
    if host.is_some_and(is_loopback_host) {
        next.run(request).await
    } else {
        ApiError::forbidden(HOST_RULE).into_response()
    }
}

/// Whether a `Host` value names the loopback interface: `127.0.0.1`, `[::1]` or `localhost`,
/// with an optional port.
fn is_loopback_host(host: &str) -> bool {
    // `[v6]:port` or `name:port`, the port optional; what follows the name is `rest`.
    let (name_ok, rest) = match host.strip_prefix('[') {
        Some(bracketed) => match bracketed.split_once(']') {
            Some((name, rest)) => (name == "::1", rest),
            None => return false,
        },
        None => {
            let (name, rest) = host.split_at(host.find(':').unwrap_or(host.len()));
            (
                name == "127.0.0.1" || name.eq_ignore_ascii_case("localhost"),
                rest,
            )
        }
    };
    let port_ok = rest.is_empty()
        || rest.strip_prefix(':').is_some_and(|digits| {
            (1..=5).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
        });
    name_ok && port_ok
}

/// Refuses a control request with a body that is not `application/json` (415).
///
/// A web page can post a form (`application/x-www-form-urlencoded`, `multipart/form-data`,
/// `text/plain`) anywhere without asking; any other type needs a CORS preflight, which the
/// sandbox never grants.
pub(crate) async fn json_body_only(request: Request, next: Next) -> Response {
    body_of_type(
        request,
        next,
        "application/json",
        "a control request with a body",
    )
    .await
}

/// Refuses a file upload that is not `application/octet-stream` (415), for the reason given
/// at [`json_body_only`].
pub(crate) async fn octet_stream_body_only(request: Request, next: Next) -> Response {
    body_of_type(request, next, "application/octet-stream", "a file upload").await
}

async fn body_of_type(request: Request, next: Next, wanted: &str, what: &str) -> Response {
    if carries_body(request.method(), request.headers())
        && !media_type(request.headers()).is_some_and(|media| media.eq_ignore_ascii_case(wanted))
    {
        return ApiError::new(
            415,
            format!("Unsupported Media Type: {what} must be Content-Type: {wanted}"),
        )
        .into_response();
    }
    next.run(request).await
}

/// Whether a request has a body: every POST, PUT and PATCH, and anything with a length or a
/// transfer encoding.
fn carries_body(method: &Method, headers: &HeaderMap) -> bool {
    matches!(*method, Method::POST | Method::PUT | Method::PATCH)
        || headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|length| length.trim() != "0")
}

/// The media type of `Content-Type`, without its parameters.
fn media_type(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    Some(value.split(';').next().unwrap_or_default().trim())
}

#[cfg(test)]
mod tests {
    use super::is_loopback_host;

    #[test]
    fn loopback_hosts_are_told_apart_from_lookalikes() {
        for host in [
            "127.0.0.1",
            "127.0.0.1:8081",
            "localhost",
            "LocalHost:1",
            "[::1]",
            "[::1]:65535",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "",
            "evil.example",
            "127.0.0.1.evil.example",
            "localhost.evil.example",
            "localhost.",
            "127.0.0.2",
            "::1",
            "[::1",
            "[::2]",
            "[::1]x",
            "127.0.0.1:",
            "127.0.0.1:123456",
            "127.0.0.1:80:80",
            "localhost:http",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }
}
