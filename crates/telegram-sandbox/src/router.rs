//! The whole HTTP surface: the control API, the OIDC provider, the phone's pages, file
//! downloads, and the Bot API as the fallback.

use std::sync::Arc;

use axum::{Router, routing::any};

use crate::{bot_api, control_api, files, oidc, phone, shared::Shared};

/// The router of a sandbox sharing `shared`.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .nest("/sandbox", control_api::router())
        .nest("/oauth", oidc::router())
        .merge(phone::router())
        .route("/file/{*path}", any(files::download))
        .fallback(bot_api::handle)
        .with_state(shared)
}
