//! `PassportElementError` in all nine variants, serializing exactly to the Bot API JSON of
//! `setPassportDataErrors`.
//!
//! Each variant may only name the element types the Bot API allows for it; the constructors
//! (and deserialization) check that, so a value of [`PassportElementError`] is always one the
//! Bot API accepts as far as types go.
//!
//! | source | allowed types |
//! |---|---|
//! | `data` | `personal_details`, the identity documents, `address` |
//! | `front_side`, `selfie` | the identity documents |
//! | `reverse_side` | `driver_license`, `identity_card` |
//! | `file`, `files` | the address documents |
//! | `translation_file`, `translation_files` | the identity and the address documents |
//! | `unspecified` | any type, unknown ones included |

use serde::{Deserialize, Serialize};

use crate::element::ElementType;

/// Why a [`PassportElementError`] could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidElementError {
    /// The Bot API does not allow this element type for this error source.
    #[error("a `{error_source}` error cannot name element type `{kind}`")]
    TypeNotAllowed {
        /// The error source (`data`, `front_side`, ...).
        error_source: &'static str,
        /// The element type that was given.
        kind: ElementType,
    },
    /// A `files` or `translation_files` error was given no file hashes.
    #[error("a `{error_source}` error needs at least one file hash")]
    NoFileHashes {
        /// The error source (`files` or `translation_files`).
        error_source: &'static str,
    },
}

/// An error in one element of the user's Telegram Passport, for `setPassportDataErrors`.
///
/// Serializes exactly to the Bot API's `PassportElementError*` objects:
///
/// ```
/// use passport_types::element::ElementType;
/// use passport_types::errors::PassportElementError;
///
/// let error = PassportElementError::data(
///     ElementType::Passport, "document_no", "aGFzaA==", "The number is unreadable",
/// ).unwrap();
/// assert_eq!(
///     serde_json::to_string(&error).unwrap(),
///     r#"{"source":"data","type":"passport","field_name":"document_no","data_hash":"aGFzaA==","message":"The number is unreadable"}"#,
/// );
/// assert!(PassportElementError::reverse_side(ElementType::Passport, "aA==", "m").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case", try_from = "UncheckedError")]
pub enum PassportElementError {
    /// `PassportElementErrorDataField`: an issue in one field of the element's data.
    Data(DataFieldError),
    /// `PassportElementErrorFrontSide`: an issue with the front side of a document.
    FrontSide(FileError),
    /// `PassportElementErrorReverseSide`: an issue with the reverse side of a document.
    ReverseSide(FileError),
    /// `PassportElementErrorSelfie`: an issue with the selfie with a document.
    Selfie(FileError),
    /// `PassportElementErrorFile`: an issue with one document scan.
    File(FileError),
    /// `PassportElementErrorFiles`: an issue with the list of document scans.
    Files(FilesError),
    /// `PassportElementErrorTranslationFile`: an issue with one translation file.
    TranslationFile(FileError),
    /// `PassportElementErrorTranslationFiles`: an issue with the translation files.
    TranslationFiles(FilesError),
    /// `PassportElementErrorUnspecified`: an issue in an unspecified place.
    Unspecified(UnspecifiedError),
}

/// The fields of a `data` error (`PassportElementErrorDataField`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataFieldError {
    #[serde(rename = "type")]
    kind: ElementType,
    field_name: String,
    data_hash: String,
    message: String,
}

/// The fields of an error about one file (`front_side`, `reverse_side`, `selfie`, `file`,
/// `translation_file`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileError {
    #[serde(rename = "type")]
    kind: ElementType,
    file_hash: String,
    message: String,
}

/// The fields of an error about a list of files (`files`, `translation_files`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilesError {
    #[serde(rename = "type")]
    kind: ElementType,
    file_hashes: Vec<String>,
    message: String,
}

/// The fields of an `unspecified` error (`PassportElementErrorUnspecified`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnspecifiedError {
    #[serde(rename = "type")]
    kind: ElementType,
    element_hash: String,
    message: String,
}

/// The same shape as [`PassportElementError`], before the type check.
#[derive(Deserialize)]
#[serde(tag = "source", rename_all = "snake_case")]
enum UncheckedError {
    Data(DataFieldError),
    FrontSide(FileError),
    ReverseSide(FileError),
    Selfie(FileError),
    File(FileError),
    Files(FilesError),
    TranslationFile(FileError),
    TranslationFiles(FilesError),
    Unspecified(UnspecifiedError),
}

impl TryFrom<UncheckedError> for PassportElementError {
    type Error = InvalidElementError;

    fn try_from(unchecked: UncheckedError) -> Result<Self, Self::Error> {
        let error = match unchecked {
            UncheckedError::Data(fields) => PassportElementError::Data(fields),
            UncheckedError::FrontSide(fields) => PassportElementError::FrontSide(fields),
            UncheckedError::ReverseSide(fields) => PassportElementError::ReverseSide(fields),
            UncheckedError::Selfie(fields) => PassportElementError::Selfie(fields),
            UncheckedError::File(fields) => PassportElementError::File(fields),
            UncheckedError::Files(fields) => PassportElementError::Files(fields),
            UncheckedError::TranslationFile(fields) => {
                PassportElementError::TranslationFile(fields)
            }
            UncheckedError::TranslationFiles(fields) => {
                PassportElementError::TranslationFiles(fields)
            }
            UncheckedError::Unspecified(fields) => PassportElementError::Unspecified(fields),
        };
        let source = error.source();
        check_type(source, error.kind())?;
        if let Some(hashes) = error.file_hashes()
            && hashes.is_empty()
        {
            return Err(InvalidElementError::NoFileHashes {
                error_source: source,
            });
        }
        Ok(error)
    }
}

/// Whether the Bot API allows `kind` in an error with this `source`.
fn allows(source: &str, kind: &ElementType) -> bool {
    match source {
        "data" => kind.has_data(),
        "front_side" | "selfie" => kind.is_identity_document(),
        "reverse_side" => kind.has_reverse_side(),
        "file" | "files" => kind.is_address_document(),
        "translation_file" | "translation_files" => kind.is_document(),
        _ => true,
    }
}

fn check_type(source: &'static str, kind: &ElementType) -> Result<(), InvalidElementError> {
    if allows(source, kind) {
        Ok(())
    } else {
        Err(InvalidElementError::TypeNotAllowed {
            error_source: source,
            kind: kind.clone(),
        })
    }
}

fn file_error(
    source: &'static str,
    kind: ElementType,
    file_hash: impl Into<String>,
    message: impl Into<String>,
) -> Result<FileError, InvalidElementError> {
    check_type(source, &kind)?;
    Ok(FileError {
        kind,
        file_hash: file_hash.into(),
        message: message.into(),
    })
}

fn files_error(
    source: &'static str,
    kind: ElementType,
    file_hashes: Vec<String>,
    message: impl Into<String>,
) -> Result<FilesError, InvalidElementError> {
    check_type(source, &kind)?;
    if file_hashes.is_empty() {
        return Err(InvalidElementError::NoFileHashes {
            error_source: source,
        });
    }
    Ok(FilesError {
        kind,
        file_hashes,
        message: message.into(),
    })
}

impl PassportElementError {
    /// An issue in the data field `field_name` of an element whose decrypted data has hash
    /// `data_hash` (base64, from [`DataCredentials`](crate::decrypted::DataCredentials)).
    ///
    /// Allowed types: `personal_details`, the identity documents, `address`.
    pub fn data(
        kind: ElementType,
        field_name: impl Into<String>,
        data_hash: impl Into<String>,
        message: impl Into<String>,
    ) -> Result<Self, InvalidElementError> {
        check_type("data", &kind)?;
        Ok(PassportElementError::Data(DataFieldError {
            kind,
            field_name: field_name.into(),
            data_hash: data_hash.into(),
            message: message.into(),
        }))
    }

    /// An issue with the front side of an identity document whose file has hash `file_hash`.
    pub fn front_side(
        kind: ElementType,
        file_hash: impl Into<String>,
        message: impl Into<String>,
    ) -> Result<Self, InvalidElementError> {
        file_error("front_side", kind, file_hash, message).map(PassportElementError::FrontSide)
    }

    /// An issue with the reverse side of a `driver_license` or `identity_card`.
    pub fn reverse_side(
        kind: ElementType,
        file_hash: impl Into<String>,
        message: impl Into<String>,
    ) -> Result<Self, InvalidElementError> {
        file_error("reverse_side", kind, file_hash, message).map(PassportElementError::ReverseSide)
    }

    /// An issue with the selfie with an identity document.
    pub fn selfie(
        kind: ElementType,
        file_hash: impl Into<String>,
        message: impl Into<String>,
    ) -> Result<Self, InvalidElementError> {
        file_error("selfie", kind, file_hash, message).map(PassportElementError::Selfie)
    }

    /// An issue with one scan of an address document.
    pub fn file(
        kind: ElementType,
        file_hash: impl Into<String>,
        message: impl Into<String>,
    ) -> Result<Self, InvalidElementError> {
        file_error("file", kind, file_hash, message).map(PassportElementError::File)
    }

    /// An issue with the list of scans of an address document (at least one hash).
    pub fn files(
        kind: ElementType,
        file_hashes: Vec<String>,
        message: impl Into<String>,
    ) -> Result<Self, InvalidElementError> {
        files_error("files", kind, file_hashes, message).map(PassportElementError::Files)
    }

    /// An issue with one translation file of a document.
    pub fn translation_file(
        kind: ElementType,
        file_hash: impl Into<String>,
        message: impl Into<String>,
    ) -> Result<Self, InvalidElementError> {
        file_error("translation_file", kind, file_hash, message)
            .map(PassportElementError::TranslationFile)
    }

    /// An issue with the translation files of a document (at least one hash).
    pub fn translation_files(
        kind: ElementType,
        file_hashes: Vec<String>,
        message: impl Into<String>,
    ) -> Result<Self, InvalidElementError> {
        files_error("translation_files", kind, file_hashes, message)
            .map(PassportElementError::TranslationFiles)
    }

    /// An issue in an unspecified place of an element whose `hash` is `element_hash`
    /// (from [`EncryptedPassportElement::hash`](crate::received::EncryptedPassportElement::hash)).
    /// Any type is allowed.
    pub fn unspecified(
        kind: ElementType,
        element_hash: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        PassportElementError::Unspecified(UnspecifiedError {
            kind,
            element_hash: element_hash.into(),
            message: message.into(),
        })
    }

    /// The Bot API's `source` string of this error (`data`, `front_side`, ...).
    pub fn source(&self) -> &'static str {
        match self {
            PassportElementError::Data(_) => "data",
            PassportElementError::FrontSide(_) => "front_side",
            PassportElementError::ReverseSide(_) => "reverse_side",
            PassportElementError::Selfie(_) => "selfie",
            PassportElementError::File(_) => "file",
            PassportElementError::Files(_) => "files",
            PassportElementError::TranslationFile(_) => "translation_file",
            PassportElementError::TranslationFiles(_) => "translation_files",
            PassportElementError::Unspecified(_) => "unspecified",
        }
    }

    /// The element type the error names.
    pub fn kind(&self) -> &ElementType {
        match self {
            PassportElementError::Data(fields) => &fields.kind,
            PassportElementError::FrontSide(fields)
            | PassportElementError::ReverseSide(fields)
            | PassportElementError::Selfie(fields)
            | PassportElementError::File(fields)
            | PassportElementError::TranslationFile(fields) => &fields.kind,
            PassportElementError::Files(fields)
            | PassportElementError::TranslationFiles(fields) => &fields.kind,
            PassportElementError::Unspecified(fields) => &fields.kind,
        }
    }

    /// The message shown to the user.
    pub fn message(&self) -> &str {
        match self {
            PassportElementError::Data(fields) => &fields.message,
            PassportElementError::FrontSide(fields)
            | PassportElementError::ReverseSide(fields)
            | PassportElementError::Selfie(fields)
            | PassportElementError::File(fields)
            | PassportElementError::TranslationFile(fields) => &fields.message,
            PassportElementError::Files(fields)
            | PassportElementError::TranslationFiles(fields) => &fields.message,
            PassportElementError::Unspecified(fields) => &fields.message,
        }
    }

    /// The data field name, for a `data` error.
    pub fn field_name(&self) -> Option<&str> {
        match self {
            PassportElementError::Data(fields) => Some(&fields.field_name),
            _ => None,
        }
    }

    /// The data hash, for a `data` error.
    pub fn data_hash(&self) -> Option<&str> {
        match self {
            PassportElementError::Data(fields) => Some(&fields.data_hash),
            _ => None,
        }
    }

    /// The file hash, for an error about one file.
    pub fn file_hash(&self) -> Option<&str> {
        match self {
            PassportElementError::FrontSide(fields)
            | PassportElementError::ReverseSide(fields)
            | PassportElementError::Selfie(fields)
            | PassportElementError::File(fields)
            | PassportElementError::TranslationFile(fields) => Some(&fields.file_hash),
            _ => None,
        }
    }

    /// The file hashes, for an error about a list of files.
    pub fn file_hashes(&self) -> Option<&[String]> {
        match self {
            PassportElementError::Files(fields)
            | PassportElementError::TranslationFiles(fields) => Some(&fields.file_hashes),
            _ => None,
        }
    }

    /// The element hash, for an `unspecified` error.
    pub fn element_hash(&self) -> Option<&str> {
        match self {
            PassportElementError::Unspecified(fields) => Some(&fields.element_hash),
            _ => None,
        }
    }
}
