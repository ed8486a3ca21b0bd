//! Passport reception for the service: requests are looked up by their nonce in the database,
//! and an accepted passport is sealed with the data key before it is stored.
//!
//! The decrypted elements (JSON) and each decrypted file are sealed separately with
//! AES-256-GCM under the data key, bound to their request and position, so a copy of the
//! database or the data directory alone reveals no name, number or image.

use std::sync::Arc;

use std::collections::HashMap;

use serde_json::{Value, json};
use tgauth::passport::open::OpenedElement;
use tgauth::passport::types::scope::PassportScope;
use tgauth::{
    BoxError, BoxFuture, FilePart, PassportReceiver, PassportRequests, Reception, UnixTime, UserId,
};

use crate::jobs::events::{self, EventKind};
use crate::keys::digest;
use crate::state::AppState;
use crate::store::{Db, PassportFileRow, StoreError};

/// Requests in the database, by nonce.
#[derive(Debug)]
struct DbRequests {
    db: Db,
}

impl PassportRequests for DbRequests {
    fn scope<'a>(
        &'a self,
        nonce: &'a str,
        user: UserId,
    ) -> BoxFuture<'a, Result<Option<PassportScope>, BoxError>> {
        Box::pin(async move {
            let Some(request) = self
                .db
                .passport_request_by_nonce(&digest(nonce.as_bytes()))
                .await?
            else {
                return Ok(None);
            };
            if request.telegram_id != user
                || !matches!(request.status.as_str(), "pending" | "rejected")
            {
                return Ok(None);
            }
            let scope: PassportScope = serde_json::from_str(&request.scope)?;
            Ok(Some(scope))
        })
    }
}

/// The receiver, when a Passport key is configured.
pub(crate) fn receiver(state: &AppState) -> Option<PassportReceiver> {
    let setup = state.passport.as_ref()?;
    Some(PassportReceiver::new(
        Arc::clone(&setup.key),
        Arc::clone(&setup.nonces),
        Arc::new(DbRequests {
            db: state.db.clone(),
        }),
    ))
}

/// An element as the API shows it: the decrypted data and files, with the hashes a website names
/// in `setPassportDataErrors` (`hash` for the element, `data_hash` for its data, `file_hash` on
/// each file), which the decrypted form alone does not carry.
fn element_json(element: &OpenedElement) -> Result<Value, serde_json::Error> {
    let mut value = serde_json::to_value(element)?;
    value["hash"] = json!(element.hash);
    if let Some(data_hash) = &element.data_hash {
        value["data_hash"] = json!(data_hash);
    }
    let singles = [
        ("front_side", &element.front_side),
        ("reverse_side", &element.reverse_side),
        ("selfie", &element.selfie),
    ];
    for (part, file) in singles {
        if let Some(file) = file {
            value[part]["file_hash"] = json!(file.credentials.file_hash);
        }
    }
    for (part, files) in [
        ("files", &element.files),
        ("translation", &element.translation),
    ] {
        for (index, file) in files.iter().flatten().enumerate() {
            value[part][index]["file_hash"] = json!(file.credentials.file_hash);
        }
    }
    Ok(value)
}

/// Each file's `file_hash` by its `file_unique_id`.
fn file_hashes(elements: &[OpenedElement]) -> HashMap<&str, &str> {
    let mut hashes = HashMap::new();
    for element in elements {
        let singles = [&element.front_side, &element.reverse_side, &element.selfie];
        let lists = [&element.files, &element.translation];
        let files = singles
            .into_iter()
            .flatten()
            .chain(lists.into_iter().flatten().flatten());
        for file in files {
            hashes.insert(
                file.file.file_unique_id.as_str(),
                file.credentials.file_hash.as_str(),
            );
        }
    }
    hashes
}

/// The context a request's sealed data is bound to.
pub(crate) fn data_context(request_id: &str) -> String {
    format!("passport-data:{request_id}")
}

/// The context a request's sealed file is bound to.
pub(crate) fn file_context(request_id: &str, index: i64) -> String {
    format!("passport-file:{request_id}:{index}")
}

/// The name of a file's part in the API.
pub(crate) fn part_name(part: FilePart) -> String {
    match part {
        FilePart::FrontSide => "front_side".to_owned(),
        FilePart::ReverseSide => "reverse_side".to_owned(),
        FilePart::Selfie => "selfie".to_owned(),
        FilePart::File(index) => format!("files.{index}"),
        FilePart::Translation(index) => format!("translation.{index}"),
        _ => "other".to_owned(),
    }
}

/// Why a reception could not be recorded.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RecordError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("sealing failed")]
    Seal(#[from] crate::keys::RandomError),
    #[error("the decrypted passport could not be serialized")]
    Serialize(#[from] serde_json::Error),
    #[error(transparent)]
    Event(#[from] crate::error::HttpError),
}

impl From<RecordError> for crate::bot::UpdateError {
    fn from(error: RecordError) -> Self {
        match error {
            RecordError::Store(store) => Self::Store(store),
            other => Self::Record(crate::error::HttpError::internal(other)),
        }
    }
}

/// Erases the received passports whose retention ended, recording it in their audit logs.
pub(crate) async fn erase_expired(state: &AppState, now: UnixTime) -> Result<usize, RecordError> {
    let due = state.db.passports_to_erase(now).await?;
    for id in &due {
        state.db.erase_passport(id).await?;
        state
            .db
            .audit(&crate::keys::random_id()?, id, "retention", "erased", now)
            .await?;
    }
    Ok(due.len())
}

/// Stores what a Passport reception concluded.
pub(crate) async fn record(
    state: &AppState,
    reception: Reception,
    now: UnixTime,
) -> Result<(), RecordError> {
    match reception {
        Reception::Received(received) => {
            let Some(request) = state
                .db
                .passport_request_by_nonce(&digest(received.nonce.as_bytes()))
                .await?
            else {
                // The receiver found the request a moment ago; it was erased since.
                state.metrics.passport("unknown_request");
                return Ok(());
            };
            let elements = received
                .passport
                .elements
                .iter()
                .map(element_json)
                .collect::<Result<Vec<_>, _>>()?;
            let data = zeroize::Zeroizing::new(serde_json::to_vec(&elements)?);
            let file_hashes = file_hashes(&received.passport.elements);
            let sealed = state.vault.seal(&data_context(&request.id), &data)?;
            let mut files = Vec::with_capacity(received.files.len());
            for (index, file) in (0_i64..).zip(received.files.iter()) {
                files.push(PassportFileRow {
                    index,
                    element: file.element.as_str().to_owned(),
                    part: part_name(file.part),
                    file_hash: file_hashes
                        .get(file.file_unique_id.as_str())
                        .map(|hash| (*hash).to_owned()),
                    sealed: state
                        .vault
                        .seal(&file_context(&request.id, index), &file.contents)?,
                });
            }
            let retention =
                i64::try_from(state.config.passport_retention.as_secs()).unwrap_or(i64::MAX / 2);
            let stored = state
                .db
                .receive_passport(&request.id, &sealed, &files, now, now.plus(retention))
                .await?;
            if stored {
                state.metrics.passport("received");
                events::emit(
                    state,
                    EventKind::PassportReceived,
                    json!({"id": request.id, "user": request.account}),
                    now,
                )
                .await?;
            } else {
                state.metrics.passport("duplicate");
            }
        }
        Reception::Rejected {
            rejection,
            request_nonce,
            ..
        } => {
            tracing::info!(%rejection, "a passport was refused");
            state.metrics.passport("rejected");
            // A refusal of data that answered one of our requests is recorded there, with what
            // the person still has to send.
            if let Some(nonce) = request_nonce
                && let Some(request) = state
                    .db
                    .passport_request_by_nonce(&digest(nonce.as_bytes()))
                    .await?
            {
                let missing = match &rejection {
                    tgauth::Rejection::Fixable { missing, .. } => serde_json::to_string(missing)?,
                    _ => "[]".to_owned(),
                };
                state.db.reject_passport(&request.id, &missing, now).await?;
            }
        }
        _ => {}
    }
    Ok(())
}
