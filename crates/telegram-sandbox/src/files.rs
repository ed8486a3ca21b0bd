//! File downloads: `/file/bot<token>/<file_path>` serves the bytes of a file whose path
//! `getFile` handed out less than an hour ago.

use std::sync::Arc;

use axum::{
    body::Body,
    extract::{Request, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};

use crate::{
    http::{self, ApiError},
    server::ConnectionKill,
    shared::Shared,
};

/// Serves `/file/bot<token>/<file_path>`.
pub(crate) async fn download(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let Some((token, file_path)) = path
        .strip_prefix("/file/bot")
        .and_then(|rest| rest.split_once('/'))
    else {
        return ApiError::not_found().into_response();
    };
    let Some(file_path) = http::decode_path_segment(file_path) else {
        return ApiError::not_found().into_response();
    };
    let kill = request.extensions().get::<ConnectionKill>().cloned();
    let (bot_id, drop_after) = match http::bot_call(&shared, token, kill.as_ref(), "file").await {
        Ok(call) => call,
        Err(response) => return response,
    };
    let now = shared.now();
    let file = {
        let state = shared.lock();
        state
            .bots
            .get(&bot_id)
            .and_then(|bot| bot.file_by_path(&file_path, now))
            .map(|file| {
                (
                    file.bytes.clone(),
                    file.mime_type
                        .clone()
                        .unwrap_or_else(|| "application/octet-stream".to_owned()),
                )
            })
    };
    if drop_after {
        return http::drop_connection(kill.as_ref()).await;
    }
    match file {
        Some((bytes, mime_type)) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, mime_type)],
            Body::from(bytes),
        )
            .into_response(),
        None => ApiError::not_found().into_response(),
    }
}
