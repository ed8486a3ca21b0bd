//! The accept loop: HTTP/1.1 connections served by the router, each closable on demand.
//!
//! `axum::serve` cannot close one connection from inside a handler, which the "dropped
//! connection" fault needs; so every connection gets a [`ConnectionKill`] in its requests'
//! extensions, and firing it drops the connection without an answer.

use std::{convert::Infallible, sync::Arc};

use axum::{Router, body::Body, extract::Request, response::Response};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::{net::TcpListener, sync::Notify, sync::watch, task::JoinSet};
use tower::ServiceExt;

/// Closes the connection a request arrived on, without an answer.
#[derive(Debug, Clone)]
pub(crate) struct ConnectionKill(Arc<Notify>);

impl ConnectionKill {
    /// Closes the connection; the caller should then never answer.
    pub(crate) fn fire(&self) {
        self.0.notify_one();
    }
}

pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                // A failed accept (out of descriptors, a reset during the handshake) concerns
                // that one connection only; keep serving the others, after a pause so that a
                // lasting condition such as EMFILE does not spin this loop at full speed.
                let Ok((stream, _)) = accepted else {
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let kill = Arc::new(Notify::new());
                let killed = Arc::clone(&kill);
                let router = router.clone();
                let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
                    let router = router.clone();
                    let kill = ConnectionKill(Arc::clone(&kill));
                    async move {
                        let mut request: Request = request.map(Body::new);
                        request.extensions_mut().insert(kill);
                        let response: Result<Response, Infallible> = router.oneshot(request).await;
                        response
                    }
                });
                connections.spawn(async move {
                    let connection = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service);
                    tokio::select! {
                        _ = connection => {}
                        () = killed.notified() => {}
                    }
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            _ = shutdown.changed() => break,
        }
    }
    connections.abort_all();
    while connections.join_next().await.is_some() {}
}
