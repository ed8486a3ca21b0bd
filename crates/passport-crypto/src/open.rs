//! Opening `PassportData`: the credentials secret, then every data element and file matched to
//! its credentials.
//!
//! [`open`] decrypts the credentials (RSA-OAEP for the secret, then the credentials blob),
//! then each element's `data` into typed [`ElementData`], and pairs every file with the
//! [`FileCredentials`] that decrypt it after download ([`OpenedFile::decrypt_vec`]). Every
//! mismatch between what was sent and what the credentials cover is an error: a data element
//! without credentials, credentials for an element that was not sent, fewer (or more) file
//! credentials than files, data on a type that carries none. `phone_number` and `email` pass
//! through. Elements of a type this crate does not know are kept with their type, contacts and
//! hash; their data and files are not decrypted.
//!
//! Failures of the credentials themselves (RSA, hash, padding) all read "credentials could not
//! be decrypted", so that errors form no decryption oracle. Nothing here panics on any input.

use std::collections::BTreeSet;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use passport_types::decrypted::{Credentials, ElementData, FileCredentials, SecureValue};
use passport_types::element::ElementType;
use passport_types::received::{EncryptedCredentials, PassportData, PassportFile};
use serde::Serialize;
use zeroize::Zeroizing;

use crate::blob::{self, BlobKey};
use crate::error::{Error, Location, Part, Result};
use crate::file::{self, FileKey};
use crate::key::PrivateKey;

/// A passport whose credentials and data decrypted and verified.
///
/// Serializes as `{"nonce": ..., "elements": [...]}` without any secret: files serialize as
/// their `PassportFile` fields only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct OpenedPassport {
    /// The nonce from the credentials: compare it with the one you issued
    /// ([`OpenedPassport::check_nonce`]) and refuse it the second time.
    pub nonce: String,
    /// The elements, in the order they were sent.
    pub elements: Vec<OpenedElement>,
}

impl OpenedPassport {
    /// Checks, in constant time, that the passport carries the nonce the bot issued.
    pub fn check_nonce(&self, expected: &str) -> Result<()> {
        if tgauth_core::constant_time_eq(self.nonce.as_bytes(), expected.as_bytes()) {
            Ok(())
        } else {
            Err(Error::NonceMismatch)
        }
    }

    /// The element of this type, if it was sent.
    pub fn element(&self, kind: &ElementType) -> Option<&OpenedElement> {
        self.elements.iter().find(|element| element.kind == *kind)
    }
}

/// One opened element: decrypted data, plain-text contacts, and files with their credentials.
///
/// Its `Debug` shows the type, which parts are present and the files, never the personal data
/// (names, numbers, addresses, the phone number and the email address).
#[derive(Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct OpenedElement {
    /// The element type.
    #[serde(rename = "type")]
    pub kind: ElementType,
    /// The decrypted data, for types that carry it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<ElementData>,
    /// The verified phone number (`phone_number` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// The verified email address (`email` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The front side scan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub front_side: Option<OpenedFile>,
    /// The reverse side scan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reverse_side: Option<OpenedFile>,
    /// The selfie with the document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selfie: Option<OpenedFile>,
    /// The files of an address document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files: Option<Vec<OpenedFile>>,
    /// The translation files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub translation: Option<Vec<OpenedFile>>,
    /// The element's `hash`, as sent, for `PassportElementErrorUnspecified`.
    #[serde(skip)]
    pub hash: String,
    /// The `data_hash` of the element's data credentials, for `PassportElementErrorDataField`.
    #[serde(skip)]
    pub data_hash: Option<String>,
}

impl std::fmt::Debug for OpenedElement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |present: bool| present.then_some(tgauth_core::REDACTED);
        f.debug_struct("OpenedElement")
            .field("kind", &self.kind)
            .field("data", &self.data)
            .field("phone_number", &redacted(self.phone_number.is_some()))
            .field("email", &redacted(self.email.is_some()))
            .field("front_side", &self.front_side)
            .field("reverse_side", &self.reverse_side)
            .field("selfie", &self.selfie)
            .field("files", &self.files)
            .field("translation", &self.translation)
            .finish_non_exhaustive()
    }
}

/// A file of an element with the credentials that decrypt it once downloaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct OpenedFile {
    /// The file as the Bot API described it (download it by `file_id`).
    #[serde(flatten)]
    pub file: PassportFile,
    /// Its secret and hash. Never serialized.
    #[serde(skip)]
    pub credentials: FileCredentials,
    /// Where the file sits in the passport, for error messages.
    #[serde(skip)]
    pub location: Location,
}

impl OpenedFile {
    /// The key that decrypts this file's downloaded bytes, in memory or streaming with
    /// [`crate::file`]; errors from those functions name this file (`passport selfie: ...`).
    pub fn key(&self) -> Result<FileKey> {
        FileKey::from_base64_at(
            &self.credentials.secret,
            &self.credentials.file_hash,
            &self.location,
            "file_hash",
        )
    }

    /// Decrypts and verifies the downloaded bytes in place and returns the payload in the same
    /// allocation; errors name this file.
    pub fn decrypt_vec(&self, ciphertext: Vec<u8>) -> Result<Vec<u8>> {
        file::decrypt_vec(&self.key()?, ciphertext)
    }
}

/// Decrypts the credentials: the RSA-OAEP secret, then the credentials blob, then its JSON.
///
/// Every failure before the JSON reads [`Error::CredentialsUndecryptable`]; the blob is
/// decrypted even when RSA fails (with a dummy secret) so timing does not tell the two apart.
pub fn open_credentials(
    key: &PrivateKey,
    credentials: &EncryptedCredentials,
) -> Result<Credentials> {
    let payload = decrypt_credentials(key, credentials).ok_or(Error::CredentialsUndecryptable)?;
    Credentials::parse(&payload).map_err(Error::CredentialsInvalid)
}

fn decrypt_credentials(
    key: &PrivateKey,
    credentials: &EncryptedCredentials,
) -> Option<Zeroizing<Vec<u8>>> {
    let encrypted_secret = STANDARD.decode(&credentials.secret).ok();
    let hash = STANDARD
        .decode(&credentials.hash)
        .ok()
        .and_then(|hash| <[u8; 32]>::try_from(hash).ok());
    let mut data = Zeroizing::new(STANDARD.decode(&credentials.data).ok()?);
    let secret = encrypted_secret.and_then(|secret| key.decrypt_secret(&secret).ok());
    let failed = secret.is_none() || hash.is_none();
    let secret = secret.unwrap_or_else(|| Zeroizing::new(vec![0; 32]));
    let blob_key = BlobKey::derive(&secret, hash.unwrap_or_default());
    let padding = blob::open_in_place(&blob_key, &mut data);
    match (failed, padding) {
        (false, Ok(padding)) => {
            data.drain(..padding);
            Some(data)
        }
        _ => None,
    }
}

/// Opens a passport: credentials, then every element matched to its credentials.
pub fn open(key: &PrivateKey, passport: &PassportData) -> Result<OpenedPassport> {
    let credentials = open_credentials(key, &passport.credentials)?;
    open_with_credentials(&credentials, passport)
}

/// Opens the elements of a passport with credentials already decrypted.
pub fn open_with_credentials(
    credentials: &Credentials,
    passport: &PassportData,
) -> Result<OpenedPassport> {
    let mut seen = BTreeSet::new();
    let mut elements = Vec::with_capacity(passport.data.len());
    for element in &passport.data {
        let kind = &element.kind;
        if !seen.insert(kind.clone()) {
            return Err(Error::DuplicateElement {
                element: kind.clone(),
            });
        }
        let value = credentials.secure_data.get(kind);
        elements.push(open_element(element, value)?);
    }
    for (kind, _) in &credentials.secure_data {
        if !seen.contains(kind) {
            return Err(Error::SurplusCredentials {
                element: kind.clone(),
            });
        }
    }
    Ok(OpenedPassport {
        nonce: credentials.nonce.clone(),
        elements,
    })
}

fn open_element(
    element: &passport_types::received::EncryptedPassportElement,
    value: Option<&SecureValue>,
) -> Result<OpenedElement> {
    let kind = &element.kind;
    let shape = |problem| Error::ElementShape {
        element: kind.clone(),
        problem,
    };
    let mut opened = OpenedElement {
        kind: kind.clone(),
        data: None,
        phone_number: element.phone_number.clone(),
        email: element.email.clone(),
        front_side: None,
        reverse_side: None,
        selfie: None,
        files: None,
        translation: None,
        hash: element.hash.clone(),
        data_hash: None,
    };
    if !kind.is_known() {
        // A type newer than this crate: kept with its plain fields, nothing decrypted.
        return Ok(opened);
    }
    let is_contact = matches!(kind, ElementType::PhoneNumber | ElementType::Email);
    if !is_contact && (element.phone_number.is_some() || element.email.is_some()) {
        return Err(shape(
            "carries a phone number or email but is not that element type",
        ));
    }
    if *kind == ElementType::PhoneNumber && element.phone_number.is_none() {
        return Err(shape("phone_number is missing"));
    }
    if *kind == ElementType::Email && element.email.is_none() {
        return Err(shape("email is missing"));
    }
    let needs_credentials = kind.has_data() || kind.is_document();
    let empty = SecureValue::default();
    let value = match value {
        Some(value) => value,
        None if needs_credentials => {
            return Err(Error::MissingCredentials {
                element: kind.clone(),
            });
        }
        None => &empty,
    };

    match (&element.data, &value.data, kind.has_data()) {
        (None, None, false) => {}
        (Some(_), _, false) => return Err(shape("this element type carries no data")),
        (None, _, true) => return Err(shape("data is missing")),
        (None, Some(_), false) => {
            return Err(part_mismatch(
                kind,
                Part::Data,
                "credentials given for absent data",
            ));
        }
        (Some(_), None, true) => {
            return Err(part_mismatch(
                kind,
                Part::Data,
                "data sent without credentials",
            ));
        }
        (Some(data), Some(data_credentials), true) => {
            let location = Location::element(kind, Part::Data);
            let mut buffer = Zeroizing::new(STANDARD.decode(data).map_err(|_| Error::Base64 {
                location: location.clone(),
                field: "data",
            })?);
            let file_key = FileKey::from_base64_at(
                &data_credentials.secret,
                &data_credentials.data_hash,
                &location,
                "data_hash",
            )?;
            let payload = file::decrypt_in_place(&file_key, &mut buffer)?;
            let parsed =
                ElementData::parse(kind, payload).map_err(|source| Error::ElementData {
                    element: kind.clone(),
                    source,
                })?;
            opened.data = Some(parsed);
            opened.data_hash = Some(data_credentials.data_hash.clone());
        }
    }

    opened.front_side = match_single(
        kind,
        Part::FrontSide,
        kind.has_front_side(),
        element.front_side.as_ref(),
        value.front_side.as_ref(),
    )?;
    opened.reverse_side = match_single(
        kind,
        Part::ReverseSide,
        kind.has_reverse_side(),
        element.reverse_side.as_ref(),
        value.reverse_side.as_ref(),
    )?;
    opened.selfie = match_single(
        kind,
        Part::Selfie,
        kind.is_identity_document(),
        element.selfie.as_ref(),
        value.selfie.as_ref(),
    )?;
    opened.files = match_list(
        kind,
        "files",
        Part::File,
        kind.has_files(),
        element.files.as_deref(),
        value.files.as_deref(),
    )?;
    opened.translation = match_list(
        kind,
        "translation",
        Part::Translation,
        kind.is_document(),
        element.translation.as_deref(),
        value.translation.as_deref(),
    )?;
    Ok(opened)
}

fn part_mismatch(kind: &ElementType, part: Part, problem: &'static str) -> Error {
    Error::PartMismatch {
        location: Location::element(kind, part),
        problem,
    }
}

fn match_single(
    kind: &ElementType,
    part: Part,
    allowed: bool,
    file: Option<&PassportFile>,
    credentials: Option<&FileCredentials>,
) -> Result<Option<OpenedFile>> {
    match (file, credentials) {
        (None, None) => Ok(None),
        (Some(_), _) if !allowed => Err(part_mismatch(
            kind,
            part,
            "this element type carries no such file",
        )),
        (Some(file), Some(credentials)) => Ok(Some(OpenedFile {
            file: file.clone(),
            credentials: credentials.clone(),
            location: Location::element(kind, part),
        })),
        (Some(_), None) => Err(part_mismatch(kind, part, "file sent without credentials")),
        (None, Some(_)) => Err(part_mismatch(
            kind,
            part,
            "credentials given for an absent file",
        )),
    }
}

fn match_list(
    kind: &ElementType,
    field: &'static str,
    part: fn(usize) -> Part,
    allowed: bool,
    files: Option<&[PassportFile]>,
    credentials: Option<&[FileCredentials]>,
) -> Result<Option<Vec<OpenedFile>>> {
    let Some(files) = files else {
        return match credentials {
            Some(credentials) if !credentials.is_empty() => Err(Error::FileCount {
                element: kind.clone(),
                field,
                files: 0,
                credentials: credentials.len(),
            }),
            _ => Ok(None),
        };
    };
    if !allowed && !files.is_empty() {
        return Err(part_mismatch(
            kind,
            part(0),
            "this element type carries no such files",
        ));
    }
    let credentials = credentials.unwrap_or_default();
    if files.len() != credentials.len() {
        return Err(Error::FileCount {
            element: kind.clone(),
            field,
            files: files.len(),
            credentials: credentials.len(),
        });
    }
    Ok(Some(
        files
            .iter()
            .zip(credentials)
            .enumerate()
            .map(|(index, (file, credentials))| OpenedFile {
                file: file.clone(),
                credentials: credentials.clone(),
                location: Location::element(kind, part(index)),
            })
            .collect(),
    ))
}
