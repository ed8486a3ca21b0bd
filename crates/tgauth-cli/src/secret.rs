//! Secrets from the environment or a file rather than the command line.
//!
//! Arguments are readable by every user of the machine (`ps`, `/proc/*/cmdline`), so each secret
//! the CLI takes (the bot token, a store URL with its password, a key's password) can also come
//! from an environment variable `X` or a file named by `--x-file` or `X_FILE`. A value and a
//! file for the same secret at once is a usage error naming both, rather than a silent choice
//! between them. A flag overrides the environment variable of the same form.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::Failure;

/// Text that must not be printed: a bot token or a store URL from the command line. Its
/// `Debug` is redacted, so that a debug print of the parsed arguments shows no secret.
#[derive(Clone)]
pub(crate) struct SecretText(String);

impl SecretText {
    /// The text itself.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(tgauth::REDACTED)
    }
}

impl std::str::FromStr for SecretText {
    type Err = std::convert::Infallible;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(Self(text.to_owned()))
    }
}

/// Where one secret can come from, and what its sources are called in messages.
pub(crate) struct SecretSources<'a> {
    /// What the secret is, for messages (`the bot token`).
    pub(crate) what: &'static str,
    /// The value given on the command line, and the flag's name (`--token`), if the secret has
    /// that form.
    pub(crate) flag: Option<(&'static str, Option<&'a SecretText>)>,
    /// The environment variable holding the value (`TGAUTH_BOT_TOKEN`).
    pub(crate) variable: &'static str,
    /// The file flag's name (`--bot-token-file`) and the path given with it, if the secret has
    /// that form.
    pub(crate) file_flag: Option<(&'static str, Option<&'a PathBuf>)>,
    /// The environment variable naming a file that holds the value (`TGAUTH_BOT_TOKEN_FILE`).
    pub(crate) file_variable: &'static str,
}

impl SecretSources<'_> {
    /// The secret from whichever source is set, or `None` when none is.
    ///
    /// A file's content loses its trailing line ending (editors and `echo` add one) and must
    /// not be empty. An environment variable that is set counts even when empty, as
    /// `TGAUTH_KEY_PASSWORD` always did: an empty password is a password.
    pub(crate) fn read(&self) -> Result<Option<SecretText>, Failure> {
        let value = match self.flag {
            Some((flag, Some(value))) => Some((flag, value.clone())),
            _ => variable(self.variable)?.map(|value| (self.variable, SecretText(value))),
        };
        let file = match self.file_flag {
            Some((flag, Some(path))) => Some((flag, path.clone())),
            _ => {
                variable(self.file_variable)?.map(|path| (self.file_variable, PathBuf::from(path)))
            }
        };
        match (value, file) {
            (Some((value_source, _)), Some((file_source, _))) => Err(Failure::usage(format!(
                "{value_source} and {file_source} are both set; give {} one way",
                self.what
            ))),
            (Some((_, value)), None) => Ok(Some(value)),
            (None, Some((source, path))) => read_file(self.what, source, &path).map(Some),
            (None, None) => Ok(None),
        }
    }
}

/// An environment variable's value; `None` when it is unset.
fn variable(name: &str) -> Result<Option<String>, Failure> {
    let Some(value) = std::env::var_os(name) else {
        return Ok(None);
    };
    value
        .into_string()
        .map(Some)
        .map_err(|_: OsString| Failure::usage(format!("{name} is not valid UTF-8")))
}

/// The secret held in the file at `path`, named by `source` (a flag or a variable).
fn read_file(what: &str, source: &str, path: &Path) -> Result<SecretText, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| Failure::usage(format!("{source}: {}: {error}", path.display())))?;
    let text = text.trim_end_matches(['\r', '\n']);
    if text.is_empty() {
        return Err(Failure::usage(format!(
            "{source}: {} is empty; it should hold {what}",
            path.display()
        )));
    }
    Ok(SecretText(text.to_owned()))
}
