//! The crate's `Error`: every refusal of this crate in one enum, for callers that `?` them all.

use crate::decrypted::DataError;
use crate::errors::InvalidElementError;
use crate::scope::{RequestError, ScopeError};

/// Any error of this crate. Each operation returns its module's own error (which says exactly
/// what can go wrong there); this enum gathers them for code that handles several.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A scope breaks the spec's rules.
    #[error(transparent)]
    Scope(#[from] ScopeError),
    /// A Passport request (link, button) cannot be built.
    #[error(transparent)]
    Request(#[from] RequestError),
    /// Decrypted credentials or element data are not what the spec describes.
    #[error(transparent)]
    Data(#[from] DataError),
    /// An element error names a type its source does not allow.
    #[error(transparent)]
    InvalidElement(#[from] InvalidElementError),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::element::ElementType;
    use crate::scope::{PassportScope, ScopeElement};

    #[test]
    fn module_errors_convert_and_keep_their_message() {
        fn validate(scope: &PassportScope) -> Result<(), Error> {
            scope.validate()?;
            Ok(())
        }
        let empty = PassportScope::new(Vec::<ScopeElement>::new());
        let error = validate(&empty).err();
        let expected = empty.validate().err().map(|error| error.to_string());
        assert!(matches!(error, Some(Error::Scope(_))));
        assert_eq!(error.map(|error| error.to_string()), expected);
        assert!(validate(&PassportScope::new(vec![ElementType::Email.into()])).is_ok());
    }
}
