//! A scripted loopback HTTP/1.1 server standing in for the Bot API.
//!
//! Each request is recorded; the answer is the next scripted [`Reply`], or, when the script is
//! empty, whatever the fallback (by default a small fake of `getUpdates` and a few methods)
//! returns. Replies can drop the connection or hang, to exercise transport failures.

use bot_api_client::tgauth_core::BotToken;
use bot_api_client::{Client, RetryPolicy};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The canary token: every test asserts it (and its secret part) never shows up in output.
pub(crate) const CANARY: &str = "987654321:CANARYxSECRETxTOKENxDONOTxLEAK0123";
pub(crate) const CANARY_SECRET: &str = "CANARYxSECRETxTOKENxDONOTxLEAK0123";

#[derive(Debug, Clone)]
pub(crate) enum Reply {
    /// A JSON answer with this HTTP status.
    Json(u16, Value),
    /// Any body with this status and content type.
    Raw(u16, &'static str, Vec<u8>),
    /// Headers announcing `length` bytes, then `sent` bytes, then silence.
    Stall { length: usize, sent: Vec<u8> },
    /// Headers announcing every chunk, then the chunks with a pause before each.
    Trickle {
        chunks: Vec<Vec<u8>>,
        pause: Duration,
    },
    /// A 200 without `Content-Length`: the body runs until the connection closes.
    Unsized(Vec<u8>),
    /// A 302 to this location.
    Redirect(String),
    /// Close the connection after reading the request, without answering.
    Drop,
    /// Wait this long before answering with the inner reply.
    Delay(Duration, Box<Reply>),
    /// A 200 JSON answer that never ends: an open string, then 64 KiB chunks a millisecond
    /// apart until the client hangs up. The bytes written are counted in [`Stub::streamed`].
    Endless,
}

impl Reply {
    pub(crate) fn ok(result: Value) -> Self {
        Self::Json(200, json!({"ok": true, "result": result}))
    }

    pub(crate) fn error(code: u16, description: &str, parameters: Option<Value>) -> Self {
        let mut body = json!({"ok": false, "error_code": code, "description": description});
        if let Some(parameters) = parameters {
            body["parameters"] = parameters;
        }
        Self::Json(code, body)
    }

    pub(crate) fn retry_after(seconds: u64) -> Self {
        Self::error(
            429,
            "Too Many Requests: retry after 1",
            Some(json!({"retry_after": seconds})),
        )
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Recorded {
    /// The path, e.g. `/bot<token>/getMe`.
    pub(crate) path: String,
    /// The Bot API method (the last path segment).
    pub(crate) method: String,
    pub(crate) body: Value,
}

/// The state of the fake `getUpdates`.
#[derive(Debug, Default)]
pub(crate) struct Fake {
    /// Updates not yet confirmed, in id order.
    pub(crate) pending: VecDeque<Value>,
    pub(crate) next_update_id: i64,
    pub(crate) next_message_id: i64,
    /// Messages the bot sent.
    pub(crate) sent: Vec<Value>,
}

impl Fake {
    /// Queues a text message from user 42 and returns its update id.
    pub(crate) fn push_message(&mut self, text: &str) -> i64 {
        self.next_update_id += 1;
        let id = self.next_update_id;
        self.pending.push_back(json!({
            "update_id": id,
            "message": {
                "message_id": id, "date": 1_700_000_000 + id, "text": text,
                "chat": {"id": 42, "type": "private", "first_name": "Ada"},
                "from": {"id": 42, "is_bot": false, "first_name": "Ada"}
            }
        }));
        id
    }

    fn answer(&mut self, request: &Recorded) -> Reply {
        match request.method.as_str() {
            "getMe" => Reply::ok(
                json!({"id": 987654321, "is_bot": true, "first_name": "Stub", "username": "stub_bot"}),
            ),
            "getWebhookInfo" => Reply::ok(json!({"url": "", "has_custom_certificate": false,
                "pending_update_count": self.pending.len()})),
            "getUpdates" => {
                if let Some(offset) = request.body.get("offset").and_then(Value::as_i64) {
                    self.pending
                        .retain(|u| u["update_id"].as_i64().unwrap() >= offset);
                }
                let limit = request
                    .body
                    .get("limit")
                    .and_then(Value::as_u64)
                    .unwrap_or(100) as usize;
                let batch: Vec<Value> = self.pending.iter().take(limit).cloned().collect();
                Reply::ok(Value::Array(batch))
            }
            "sendMessage" => {
                self.next_message_id += 1;
                let message = json!({
                    "message_id": self.next_message_id, "date": 1_700_000_000,
                    "chat": {"id": request.body["chat_id"], "type": "private", "first_name": "Ada"},
                    "from": {"id": 987654321, "is_bot": true, "first_name": "Stub"},
                    "text": request.body["text"]
                });
                self.sent.push(request.body.clone());
                Reply::ok(message)
            }
            _ => Reply::error(404, "Not Found", None),
        }
    }
}

#[derive(Clone)]
pub(crate) struct Stub {
    pub(crate) addr: SocketAddr,
    script: Arc<Mutex<VecDeque<Reply>>>,
    requests: Arc<Mutex<Vec<Recorded>>>,
    pub(crate) fake: Arc<Mutex<Fake>>,
    /// Bytes of [`Reply::Endless`] bodies written so far.
    pub(crate) streamed: Arc<std::sync::atomic::AtomicUsize>,
}

impl Stub {
    pub(crate) async fn start() -> Self {
        let listener = TcpListener::bind(tgauth_tests::any_loopback_port())
            .await
            .unwrap();
        let stub = Self {
            addr: listener.local_addr().unwrap(),
            script: Arc::default(),
            requests: Arc::default(),
            fake: Arc::default(),
            streamed: Arc::default(),
        };
        let server = stub.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let server = server.clone();
                tokio::spawn(async move { server.serve(stream).await });
            }
        });
        stub
    }

    pub(crate) fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A client for the canary token with tiny, seeded retry delays.
    pub(crate) fn client(&self) -> Client {
        self.client_builder().build().unwrap()
    }

    pub(crate) fn client_builder(&self) -> bot_api_client::ClientBuilder {
        Client::builder(BotToken::new(CANARY).unwrap())
            .base_url(self.base_url())
            .retry_policy(fast_retries())
            .request_timeout(Duration::from_secs(5))
    }

    pub(crate) fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        self.script.lock().unwrap().extend(replies);
    }

    pub(crate) fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    pub(crate) fn methods(&self) -> Vec<String> {
        self.requests().into_iter().map(|r| r.method).collect()
    }

    async fn serve(&self, mut stream: TcpStream) {
        let mut buffer = Vec::new();
        loop {
            let Some((head_end, content_length)) = read_head(&mut stream, &mut buffer).await else {
                return;
            };
            while buffer.len() < head_end + content_length {
                let mut chunk = [0u8; 8192];
                match stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                }
            }
            let head = String::from_utf8_lossy(&buffer[..head_end]).to_string();
            let body: Vec<u8> = buffer[head_end..head_end + content_length].to_vec();
            buffer.drain(..head_end + content_length);
            let path = head.split_whitespace().nth(1).unwrap_or("").to_owned();
            let method = path.rsplit('/').next().unwrap_or("").to_owned();
            let request = Recorded {
                path,
                method,
                body: serde_json::from_slice(&body).unwrap_or(Value::Null),
            };
            self.requests.lock().unwrap().push(request.clone());
            let scripted = self.script.lock().unwrap().pop_front();
            let reply = match scripted {
                Some(reply) => reply,
                None => self.fake.lock().unwrap().answer(&request),
            };
            if !write_reply(&mut stream, reply, &self.streamed).await {
                return;
            }
        }
    }
}

pub(crate) fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .max_retries(3)
        .backoff(Duration::from_millis(1), Duration::from_millis(4))
        .max_retry_after(Duration::from_millis(2))
        .jitter_seed(7)
}

async fn read_head(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<(usize, usize)> {
    loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..at]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            return Some((at + 4, length));
        }
        let mut chunk = [0u8; 8192];
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
}

/// Writes `reply`; false when the connection must close.
async fn write_reply(
    stream: &mut TcpStream,
    reply: Reply,
    streamed: &std::sync::atomic::AtomicUsize,
) -> bool {
    let (status, content_type, body) = match reply {
        Reply::Json(status, value) => (
            status,
            "application/json",
            serde_json::to_vec(&value).unwrap(),
        ),
        Reply::Raw(status, content_type, body) => (status, content_type, body),
        Reply::Drop => return false,
        Reply::Redirect(location) => {
            let head =
                format!("HTTP/1.1 302 Found\r\nlocation: {location}\r\ncontent-length: 0\r\n\r\n");
            return stream.write_all(head.as_bytes()).await.is_ok();
        }
        Reply::Unsized(body) => {
            let head = "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\nconnection: close\r\n\r\n";
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(&body).await;
            let _ = stream.shutdown().await;
            return false;
        }
        Reply::Delay(delay, inner) => {
            tokio::time::sleep(delay).await;
            return Box::pin(write_reply(stream, *inner, streamed)).await;
        }
        Reply::Trickle { chunks, pause } => {
            let length: usize = chunks.iter().map(Vec::len).sum();
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: {length}\r\n\r\n"
            );
            if stream.write_all(head.as_bytes()).await.is_err() {
                return false;
            }
            for chunk in chunks {
                tokio::time::sleep(pause).await;
                if stream.write_all(&chunk).await.is_err() || stream.flush().await.is_err() {
                    return false;
                }
            }
            return true;
        }
        Reply::Endless => {
            let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n{\"ok\": true, \"result\": \"";
            if stream.write_all(head.as_bytes()).await.is_err() {
                return false;
            }
            let chunk = vec![b'x'; 64 * 1024];
            while stream.write_all(&chunk).await.is_ok() {
                streamed.fetch_add(chunk.len(), std::sync::atomic::Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            return false;
        }
        Reply::Stall { length, sent } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: {length}\r\n\r\n"
            );
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(&sent).await;
            tokio::time::sleep(Duration::from_secs(30)).await;
            return false;
        }
    };
    let head = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.is_ok() && stream.write_all(&body).await.is_ok()
}

/// Asserts that `text` holds neither the canary token nor its secret part.
pub(crate) fn assert_clean(text: &str) {
    assert!(
        !text.contains(CANARY_SECRET),
        "token secret leaked in: {text}"
    );
    assert!(!text.contains(CANARY), "token leaked in: {text}");
}

/// Asserts that an error's Display, Debug and whole source chain are clean.
pub(crate) fn assert_error_clean(error: &bot_api_client::Error) {
    assert_clean(&tgauth_tests::cause_chain(error));
    assert_clean(&format!("{error:?}"));
}
