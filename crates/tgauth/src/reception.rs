//! Passport reception: from the `passport_data` of a bot update to a typed received passport or
//! a typed rejection.
//!
//! [`PassportReceiver::receive`] runs every step a bot owes the data, in order: it opens the
//! credentials with the bot's key (a failure here is not the user's to fix: the data was not
//! for this key or was altered), checks that the nonce is one this service issued to the sender
//! and has not expired, looks up the scope requested with it, checks the passport against that
//! scope, downloads every file through the Bot API client and decrypts it while it streams in
//! (the hash is verified at the end of each file, and unverified plaintext is wiped), and, when
//! the user can fix what is wrong (a missing selfie, an expired document, a damaged scan), calls
//! `setPassportDataErrors` with the typed errors so the Telegram app shows them.
//!
//! Personal data stays out of `Debug`: [`ReceivedPassport`] and [`ReceivedFile`] print only
//! element types and sizes.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bot_api_client::Client;
use bot_api_client::types::Message;
use passport_crypto::file::FileDecryptor;
use passport_crypto::key::PrivateKey;
use passport_crypto::nonce::NonceIssuer;
use passport_crypto::open::{OpenedFile, OpenedPassport};
use passport_crypto::scope_check::check_scope;
use passport_types::element::ElementType;
use passport_types::errors::PassportElementError;
use passport_types::scope::PassportScope;
use tgauth_core::{UnixTime, UserId};
use tokio::io::AsyncWrite;
use zeroize::Zeroizing;

use crate::{Error, Identity};

/// A boxed future, for the object-safe lookup trait.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A boxed error from an application's lookup.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Where the receiver learns what was requested with a nonce.
///
/// A service that lets its users choose what to share keeps each request (its scope, keyed by
/// the nonce it issued) and implements this over its storage. A bot that always asks for the
/// same documents passes its one [`PassportScope`], which implements this trait.
pub trait PassportRequests: Send + Sync + fmt::Debug {
    /// The scope requested with `nonce`, which was verified as issued to `user` and unexpired;
    /// `None` when no such request is known (then the passport is rejected).
    fn scope<'a>(
        &'a self,
        nonce: &'a str,
        user: UserId,
    ) -> BoxFuture<'a, Result<Option<PassportScope>, BoxError>>;
}

impl PassportRequests for PassportScope {
    fn scope<'a>(
        &'a self,
        _nonce: &'a str,
        _user: UserId,
    ) -> BoxFuture<'a, Result<Option<PassportScope>, BoxError>> {
        Box::pin(async move { Ok(Some(self.clone())) })
    }
}

/// Which part of an element a received file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FilePart {
    /// The document's front side.
    FrontSide,
    /// The document's reverse side.
    ReverseSide,
    /// The selfie with the document.
    Selfie,
    /// One of an address document's scans, by index.
    File(usize),
    /// One of a document's translation scans, by index.
    Translation(usize),
}

/// One downloaded, decrypted and verified file of a received passport.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReceivedFile {
    /// The element it belongs to.
    pub element: ElementType,
    /// Which part of the element it is.
    pub part: FilePart,
    /// The Bot API's stable id of the (encrypted) file.
    pub file_unique_id: String,
    /// The decrypted contents (a JPEG from a real app), wiped on drop.
    pub contents: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for ReceivedFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReceivedFile")
            .field("element", &self.element)
            .field("part", &self.part)
            .field("file_unique_id", &self.file_unique_id)
            .field("bytes", &self.contents.len())
            .finish()
    }
}

/// A passport that decrypted, carried a nonce this service issued to its sender, satisfied the
/// requested scope, and whose every file downloaded and verified.
#[derive(Clone)]
#[non_exhaustive]
pub struct ReceivedPassport {
    /// Who sent it (from the update; the nonce was issued to this user).
    pub sender: Identity,
    /// The nonce it carried: the key of the request it answers.
    pub nonce: String,
    /// The scope it was checked against.
    pub scope: PassportScope,
    /// The decrypted elements.
    pub passport: OpenedPassport,
    /// Every file, decrypted.
    pub files: Vec<ReceivedFile>,
    /// When it was received.
    pub received_at: UnixTime,
}

impl fmt::Debug for ReceivedPassport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let elements: Vec<&ElementType> = self.passport.elements.iter().map(|e| &e.kind).collect();
        f.debug_struct("ReceivedPassport")
            .field("sender", &self.sender.user_id)
            .field("elements", &elements)
            .field("files", &self.files)
            .field("received_at", &self.received_at)
            .finish_non_exhaustive()
    }
}

/// Why a passport was not accepted.
#[derive(Debug)]
#[non_exhaustive]
pub enum Rejection {
    /// The credentials did not decrypt with the bot's key, or the data does not match them:
    /// not for this bot, or altered on the way. Nothing the user can fix.
    Undecryptable(passport_crypto::Error),
    /// The nonce is not one this service issued to the sender, or has expired.
    Nonce(passport_crypto::Error),
    /// No request is known for the nonce.
    UnknownRequest,
    /// The passport lacks what the scope asks for, or a file did not verify. `errors` were sent
    /// to the user with `setPassportDataErrors` (when there were any); `missing` lists requested
    /// elements that were not sent at all, which the Bot API cannot name: ask again.
    Fixable {
        /// The errors sent to the user.
        errors: Vec<PassportElementError>,
        /// Requested elements not sent, each with the types that would satisfy it.
        missing: Vec<Vec<ElementType>>,
    },
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Undecryptable(error) => write!(f, "passport could not be opened: {error}"),
            Self::Nonce(error) => write!(f, "passport nonce refused: {error}"),
            Self::UnknownRequest => f.write_str("no passport request is known for this nonce"),
            Self::Fixable { errors, missing } => write!(
                f,
                "passport incomplete: {} error(s) sent to the user, {} requested element(s) missing",
                errors.len(),
                missing.len()
            ),
        }
    }
}

/// What [`PassportReceiver::receive`] concluded.
#[derive(Debug)]
#[non_exhaustive]
pub enum Reception {
    /// Accepted.
    Received(Box<ReceivedPassport>),
    /// Refused, and why.
    Rejected {
        /// The sender.
        sender: UserId,
        /// The nonce of the request the passport answers, once it verified as issued to the
        /// sender by this service: the application records the refusal against that request.
        /// `None` when the data did not open or the nonce was refused.
        request_nonce: Option<String>,
        /// Why.
        rejection: Rejection,
    },
}

/// Receives Passport data for one bot: its key, the issuer of its nonces, and where requests
/// are looked up.
#[derive(Clone)]
pub struct PassportReceiver {
    key: Arc<PrivateKey>,
    nonces: Arc<NonceIssuer>,
    requests: Arc<dyn PassportRequests>,
}

impl fmt::Debug for PassportReceiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PassportReceiver")
            .field("key", &self.key)
            .field("requests", &self.requests)
            .finish_non_exhaustive()
    }
}

impl PassportReceiver {
    /// A receiver opening with `key`, accepting nonces of `nonces`, and checking each passport
    /// against the scope `requests` gives for its nonce.
    pub fn new(
        key: Arc<PrivateKey>,
        nonces: Arc<NonceIssuer>,
        requests: Arc<dyn PassportRequests>,
    ) -> Self {
        Self {
            key,
            nonces,
            requests,
        }
    }

    /// Runs every check on the `passport_data` of `message` (see the module docs). `Ok` holds the
    /// verdict; `Err` is a failure to reach a verdict (the Bot API or the request lookup was
    /// unavailable): handle the update again later.
    pub async fn receive(
        &self,
        client: &Client,
        message: &Message,
        now: UnixTime,
    ) -> Result<Reception, Error> {
        let data = message.passport_data.as_ref().ok_or(Error::NotPassport)?;
        let sender = Identity::from_message(message, now)?;
        let rejected = |rejection, request_nonce: Option<&str>| {
            Ok(Reception::Rejected {
                sender: sender.user_id,
                request_nonce: request_nonce.map(str::to_owned),
                rejection,
            })
        };
        let passport = match passport_crypto::open::open(&self.key, data) {
            Ok(passport) => passport,
            Err(error @ passport_crypto::Error::CredentialsUndecryptable)
            | Err(error @ passport_crypto::Error::CredentialsInvalid(_)) => {
                return rejected(Rejection::Undecryptable(error), None);
            }
            Err(error) => {
                // The credentials opened, so the nonce is readable only through them; an element
                // that does not match its credentials is damaged data the user can resend.
                let errors = element_errors_for(&error, data);
                if errors.is_empty() {
                    return rejected(Rejection::Undecryptable(error), None);
                }
                self.send_errors(client, sender.user_id, &errors).await?;
                return rejected(
                    Rejection::Fixable {
                        errors,
                        missing: Vec::new(),
                    },
                    None,
                );
            }
        };
        if let Err(error) = self.nonces.verify(&passport.nonce, sender.user_id, now) {
            return rejected(Rejection::Nonce(error), None);
        }
        let scope = match self.requests.scope(&passport.nonce, sender.user_id).await {
            Ok(Some(scope)) => scope,
            Ok(None) => return rejected(Rejection::UnknownRequest, Some(&passport.nonce)),
            Err(source) => return Err(Error::Requests(source)),
        };
        let check = check_scope(&scope, &passport, now);
        let mut errors = check.errors;
        let mut files = Vec::new();
        for (element, part, file) in passport_files(&passport) {
            match download(client, file).await {
                Ok(contents) => files.push(ReceivedFile {
                    element: element.clone(),
                    part,
                    file_unique_id: file.file.file_unique_id.clone(),
                    contents,
                }),
                Err(Download::Unverified) => {
                    if let Some(error) = file_error(element, part, &file.credentials.file_hash) {
                        errors.push(error);
                    }
                }
                Err(Download::Failed(error)) => return Err(error),
            }
        }
        if !errors.is_empty() || !check.missing.is_empty() {
            self.send_errors(client, sender.user_id, &errors).await?;
            return rejected(
                Rejection::Fixable {
                    errors,
                    missing: check.missing,
                },
                Some(&passport.nonce),
            );
        }
        Ok(Reception::Received(Box::new(ReceivedPassport {
            nonce: passport.nonce.clone(),
            sender,
            scope,
            passport,
            files,
            received_at: now,
        })))
    }

    async fn send_errors(
        &self,
        client: &Client,
        user: UserId,
        errors: &[PassportElementError],
    ) -> Result<(), Error> {
        if errors.is_empty() {
            return Ok(());
        }
        client
            .set_passport_data_errors(user, errors)
            .await
            .map_err(Error::Bot)?;
        Ok(())
    }
}

/// Every file of an opened passport with where it sits.
fn passport_files(passport: &OpenedPassport) -> Vec<(&ElementType, FilePart, &OpenedFile)> {
    let mut files = Vec::new();
    for element in &passport.elements {
        let kind = &element.kind;
        let singles = [
            (FilePart::FrontSide, &element.front_side),
            (FilePart::ReverseSide, &element.reverse_side),
            (FilePart::Selfie, &element.selfie),
        ];
        for (part, file) in singles {
            if let Some(file) = file {
                files.push((kind, part, file));
            }
        }
        for (index, file) in element.files.iter().flatten().enumerate() {
            files.push((kind, FilePart::File(index), file));
        }
        for (index, file) in element.translation.iter().flatten().enumerate() {
            files.push((kind, FilePart::Translation(index), file));
        }
    }
    files
}

/// The error that tells the user which file to send again.
fn file_error(
    element: &ElementType,
    part: FilePart,
    file_hash: &str,
) -> Option<PassportElementError> {
    const MESSAGE: &str = "The file could not be read. Please upload it again.";
    let kind = element.clone();
    match part {
        FilePart::FrontSide => PassportElementError::front_side(kind, file_hash, MESSAGE),
        FilePart::ReverseSide => PassportElementError::reverse_side(kind, file_hash, MESSAGE),
        FilePart::Selfie => PassportElementError::selfie(kind, file_hash, MESSAGE),
        FilePart::File(_) => PassportElementError::file(kind, file_hash, MESSAGE),
        FilePart::Translation(_) => {
            PassportElementError::translation_file(kind, file_hash, MESSAGE)
        }
    }
    .ok()
}

/// The errors naming the element whose data or files do not match their credentials, so the
/// user can send it again; empty when the failure names no element that was sent.
fn element_errors_for(
    error: &passport_crypto::Error,
    data: &passport_types::received::PassportData,
) -> Vec<PassportElementError> {
    let element = match error {
        passport_crypto::Error::ElementData { element, .. }
        | passport_crypto::Error::MissingCredentials { element }
        | passport_crypto::Error::FileCount { element, .. }
        | passport_crypto::Error::ElementShape { element, .. } => Some(element),
        passport_crypto::Error::Base64 { location, .. }
        | passport_crypto::Error::HashLength { location, .. }
        | passport_crypto::Error::CiphertextLength { location, .. }
        | passport_crypto::Error::HashMismatch { location }
        | passport_crypto::Error::Padding { location, .. }
        | passport_crypto::Error::PartMismatch { location, .. } => match location {
            passport_crypto::Location::Element { element, .. } => Some(element),
            _ => None,
        },
        _ => None,
    };
    element
        .and_then(|element| data.data.iter().find(|sent| sent.kind == *element))
        .map(|sent| {
            vec![PassportElementError::unspecified(
                sent.kind.clone(),
                sent.hash.clone(),
                "This document could not be read. Please send it again.",
            )]
        })
        .unwrap_or_default()
}

/// The most a file's announced size reserves in advance (Telegram's download limit, 20 MB);
/// a larger file fails the download anyway.
const MAX_PREALLOCATION: usize = 20 * 1024 * 1024;

enum Download {
    /// The bytes arrived but did not decrypt and verify: a damaged file the user can resend.
    Unverified,
    /// The download itself failed: try the update again later.
    Failed(Error),
}

/// Downloads one file and decrypts it as it streams in; the hash is checked at the end.
async fn download(client: &Client, file: &OpenedFile) -> Result<Zeroizing<Vec<u8>>, Download> {
    let key = file.key().map_err(|_| Download::Unverified)?;
    let mut sink = DecryptingSink {
        decryptor: Some(FileDecryptor::new(&key)),
        // Room for the whole file up front: a growing buffer would leave copies of the
        // plaintext behind in memory it gave back, which the wipe on drop cannot reach.
        plaintext: Zeroizing::new(Vec::with_capacity(
            usize::try_from(file.file.file_size)
                .unwrap_or(0)
                .min(MAX_PREALLOCATION),
        )),
        failed: false,
    };
    let downloaded = client
        .download_file_by_id(&file.file.file_id, &mut sink)
        .await;
    if sink.failed {
        return Err(Download::Unverified);
    }
    downloaded.map_err(|error| Download::Failed(Error::Bot(error)))?;
    let Some(decryptor) = sink.decryptor.take() else {
        return Err(Download::Unverified);
    };
    let mut plaintext = std::mem::take(&mut sink.plaintext);
    match decryptor.finish(&mut *plaintext) {
        Ok(_) => Ok(plaintext),
        Err(_) => Err(Download::Unverified),
    }
}

/// An `AsyncWrite` that feeds downloaded ciphertext through a [`FileDecryptor`] into memory.
struct DecryptingSink {
    decryptor: Option<FileDecryptor>,
    plaintext: Zeroizing<Vec<u8>>,
    failed: bool,
}

impl AsyncWrite for DecryptingSink {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buffer: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let Some(decryptor) = this.decryptor.as_mut() else {
            return Poll::Ready(Err(std::io::Error::other("decryption already failed")));
        };
        match decryptor.update(buffer, &mut *this.plaintext) {
            Ok(()) => Poll::Ready(Ok(buffer.len())),
            Err(_) => {
                this.failed = true;
                this.decryptor = None;
                Poll::Ready(Err(std::io::Error::other("file did not decrypt")))
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
